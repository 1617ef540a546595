"""Claude Code (`@anthropic-ai/claude-code` from npm, pinned in tests/node/package.json) in
non-interactive mode, `claude -p`, with ANTHROPIC_BASE_URL pointed at llmgate and `--model`
naming an endpoint backed by the fake upstream. It runs offline: with
CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC it contacts nothing but the base URL.

The binary comes from CLAUDE_BIN, or tests/node/node_modules/.bin/claude, installed with npm
on first use (CI without npm fails rather than skips).
"""
import hashlib
import json
import os
import shutil
import subprocess

import pytest

from test_provider_matrix import CHAT, ROWS, create, reply

NODE_DIR = os.path.join(os.path.dirname(__file__), "..", "node")


@pytest.fixture(scope="module")
def claude():
    path = os.environ.get("CLAUDE_BIN") or os.path.join(NODE_DIR, "node_modules", ".bin", "claude")
    if not os.path.exists(path):
        if not shutil.which("npm"):
            if os.environ.get("CI") == "true":
                pytest.fail("npm is needed to install Claude Code")
            pytest.skip("npm is not installed")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", NODE_DIR], check=True,
                       capture_output=True, timeout=600)
    return path


@pytest.fixture()
def unique(request):
    """A name unique to the test (the shared fixture truncates long parametrized ids)."""
    digest = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:10]
    return f"cc-{digest}-{os.getpid() % 10000}"


def run(claude, gateway, key, model, prompt, tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "ANTHROPIC_BASE_URL": gateway.url,
           "ANTHROPIC_API_KEY": key, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1",
           "ANTHROPIC_SMALL_FAST_MODEL": model, "ANTHROPIC_DEFAULT_HAIKU_MODEL": model}
    r = subprocess.run([claude, "-p", prompt, "--model", model, "--output-format", "json"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return json.loads(r.stdout)


def access_events(gateway, name):
    return [ev["metadata"] for ev in gateway.audit(endpointNames=name) if ev["eventKind"] == "AccessGatewayEndpoint"]


def test_claude_code_print_mode_on_an_openai_endpoint(gateway, fake, claude, unique, tmp_path):
    """Claude Code's whole request (system blocks with cache_control, its tools, metadata,
    thinking, context_management, a system turn among the messages, streaming) is accepted and
    answered by an OpenAI endpoint; the answer is the fake's echo of its last user text."""
    _, key = gateway.create_user("u-" + unique)
    config = {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}
    gateway.create_endpoint(unique, "llm/v1/chat", "openai", "gpt-4o-mini", config)
    out = run(claude, gateway, key, unique, "say hello " + unique, tmp_path)
    assert out["subtype"] == "success" and not out["is_error"], out
    assert out["result"].startswith("echo: ") and out["result"].endswith("say hello " + unique), out["result"]
    events = access_events(gateway, unique)
    assert events and all(e["api"] == "anthropic" and e["outcome"] == "success" and e["stream"] == "true"
                          for e in events), events
    assert any("claude" in e["userAgent"].lower() for e in events), events
    body = next(r["body"] for r in fake.requests() if r["path"] == "/v1/chat/completions"
                and unique in json.dumps(r["body"]))
    assert body["model"] == "gpt-4o-mini" and body["stream"] is True
    assert body["messages"][0]["role"] == "system" and len(body["tools"]) > 3
    assert all(t["type"] == "function" and t["function"]["name"] for t in body["tools"])


def streaming_chat_rows():
    # Claude Code always streams. The anthropic row's fake answers with a tool call (see the
    # tool-loop test below), so its text answer is not the echo.
    return [pytest.param(row, id=row.id) for row in ROWS if not row.retired and not row.skip
            and CHAT in row.streams and row.provider != "anthropic"]


@pytest.mark.parametrize("row", streaming_chat_rows())
def test_claude_code_print_mode(gateway, fake, claude, unique, tmp_path, row):
    """`claude -p` answered by an endpoint of each provider that streams chat."""
    _, key = gateway.create_user("u-" + unique)
    create(gateway, fake, row, CHAT, unique, "m-" + unique)
    out = run(claude, gateway, key, unique, "say hello please", tmp_path)
    assert out["subtype"] == "success" and not out["is_error"], out
    assert out["result"].startswith("echo: ") and out["result"].endswith("say hello please"), out["result"]
    assert all(e["api"] == "anthropic" and e["outcome"] == "success" for e in access_events(gateway, unique))


def test_claude_code_tool_loop_on_an_anthropic_endpoint(gateway, fake, claude, unique, tmp_path):
    """The fake's Anthropic wire calls Claude Code's first tool; Claude Code runs it locally and
    sends the tool_result back through llmgate; the loop ends with the fake's text answer."""
    _, key = gateway.create_user("u-" + unique)
    config = {"anthropic_api_key": fake.key("anthropic"), "anthropic_api_base": fake.url + "/v1"}
    gateway.create_endpoint(unique, "llm/v1/chat", "anthropic", "claude-3-5-haiku-20241022", config)
    out = run(claude, gateway, key, unique, "say hello " + unique, tmp_path)
    assert out["subtype"] == "success" and out["num_turns"] >= 2, out
    calls = [r["body"] for r in fake.requests() if r["path"] == "/v1/messages" and unique in json.dumps(r["body"])]
    assert len(calls) >= 2, len(calls)
    last = calls[-1]["messages"][-1]
    assert last["role"] == "user" and last["content"][0]["type"] == "tool_result", last
    # The fake echoes the tool_result turn's (empty) text, prefixed when the tool failed: the
    # request reaches an anthropic endpoint as Claude Code wrote it, is_error included.
    failed = "the tool failed: " if last["content"][0].get("is_error") else ""
    assert out["result"] == failed + reply(""), (out["result"], last)
    assert len(access_events(gateway, unique)) == len(calls)
