"""The official anthropic SDK against llmgate's Anthropic Messages surface (/v1/messages and
/anthropic/v1/messages), reaching chat endpoints of every provider through the fake upstream.

`model` is the endpoint name. Each provider's endpoint is built exactly as the provider matrix
builds it (test_provider_matrix.ROWS), so the answers are the fake's exact content: "echo: " +
the last user text, output tokens = its words. The README's "Client surface matrix" names
these tests cell by cell.
"""
import json
import os

import anthropic
import pytest
import requests

from test_provider_matrix import CHAT, ROWS, assert_upstream_saw_credential, create, reply


def chat_rows(kind="types"):
    return [pytest.param(row, id=row.id) for row in ROWS
            if not row.retired and not row.skip and CHAT in getattr(row, kind)]


def client(gateway, key, prefix=""):
    return anthropic.Anthropic(base_url=gateway.url + prefix, api_key=key, max_retries=0)


@pytest.fixture()
def key(gateway, unique):
    return gateway.create_user("u-" + unique)[1]


def anthropic_endpoint(gateway, fake, name, model="claude-3-5-haiku-20241022", **extra):
    config = {"anthropic_api_key": fake.key("anthropic"), "anthropic_api_base": fake.url + "/v1"}
    return gateway.create_endpoint(name, CHAT, "anthropic", model, config, **extra)


def openai_endpoint(gateway, fake, name, **extra):
    config = {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}
    return gateway.create_endpoint(name, CHAT, "openai", "gpt-4o-mini", config, **extra)


def access_events(gateway, name):
    return [ev for ev in gateway.audit(endpointNames=name) if ev["eventKind"] == "AccessGatewayEndpoint"]


@pytest.mark.parametrize("row", chat_rows())
def test_messages_create(gateway, fake, key, unique, row):
    model = "m-" + unique
    create(gateway, fake, row, CHAT, unique, model)
    # Prompts avoid provider names: the fake's keys contain them, and the gateway redacts
    # credential fragments from answers.
    prompt = "anthropic sdk says hello"
    # MLflow serving's chat models take a single message, so that row goes without a system prompt.
    system = {} if row.bare_predictions else {"system": "Be brief."}
    msg = client(gateway, key).messages.create(model=unique, max_tokens=256, **system,
                                               messages=[{"role": "user", "content": prompt}])
    assert msg.type == "message" and msg.role == "assistant" and msg.id.startswith("msg_")
    assert [b.type for b in msg.content] == ["text"] and msg.content[0].text == reply(prompt)
    assert msg.stop_reason == "end_turn" and msg.stop_sequence is None
    if not row.bare_predictions:  # MLflow serving reports no token counts
        assert msg.usage.output_tokens == len(reply(prompt).split()), msg.usage
        assert msg.usage.input_tokens >= len(prompt.split()), msg.usage
    assert_upstream_saw_credential(fake, row, CHAT, model)
    ev = access_events(gateway, unique)[0]["metadata"]
    assert ev["api"] == "anthropic" and ev["outcome"] == "success" and ev["stream"] == "false", ev
    if not row.bare_predictions:
        assert int(ev["completionTokens"]) == msg.usage.output_tokens


@pytest.mark.parametrize("row", chat_rows("streams"))
def test_messages_stream(gateway, fake, key, unique, row):
    model = "m-" + unique
    create(gateway, fake, row, CHAT, unique, model)
    prompt = "anthropic stream says hello please"
    kinds = []
    with client(gateway, key).messages.stream(model=unique, max_tokens=256,
                                              messages=[{"role": "user", "content": prompt}]) as stream:
        text = ""
        for event in stream:
            kinds.append(event.type)
            if event.type == "text":
                text += event.text
        final = stream.get_final_message()
    assert text == reply(prompt)
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop", kinds
    assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 1, kinds
    assert [b.type for b in final.content] == ["text"] and final.content[0].text == reply(prompt)
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == len(reply(prompt).split()), final.usage
    assert final.usage.input_tokens >= len(prompt.split()), final.usage
    assert_upstream_saw_credential(fake, row, CHAT, model, stream=True)
    ev = access_events(gateway, unique)[0]["metadata"]
    assert ev["api"] == "anthropic" and ev["stream"] == "true" and ev["outcome"] == "success", ev
    assert int(ev["completionTokens"]) == final.usage.output_tokens


TOOLS = [{"name": "get_weather", "description": "The weather in a city",
          "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}]


def test_tools_round_trip(gateway, fake, key, unique):
    """tool_use out, tool_result back, text answer: the SDK's tool loop against an anthropic endpoint."""
    anthropic_endpoint(gateway, fake, unique)
    c = client(gateway, key)
    question = {"role": "user", "content": "weather in Paris"}
    first = c.messages.create(model=unique, max_tokens=128, tools=TOOLS, tool_choice={"type": "any"},
                              messages=[question])
    assert first.stop_reason == "tool_use"
    use = next(b for b in first.content if b.type == "tool_use")
    assert use.name == "get_weather" and use.input == {"text": "weather in Paris"} and use.id.startswith("toolu_")
    second = c.messages.create(model=unique, max_tokens=128, tools=TOOLS, messages=[
        question, {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}]}])
    assert second.stop_reason == "end_turn" and second.content[0].type == "text"

    with c.messages.stream(model=unique, max_tokens=128, tools=TOOLS,
                           tool_choice={"type": "tool", "name": "get_weather"}, messages=[question]) as stream:
        final = stream.get_final_message()
    use = next(b for b in final.content if b.type == "tool_use")
    assert final.stop_reason == "tool_use" and use.input == {"text": "weather in Paris"}, final


# The fake's signed thinking block (fakeupstream.FakeThinking / FakeSignature).
FAKE_THINKING, FAKE_SIGNATURE = "the fake considers the question", "fake-signature-EqQBCgIYAhIM"

FAITHFUL = dict(thinking={"type": "enabled", "budget_tokens": 1024}, stop_sequences=["STOP"],
                metadata={"user_id": "u-42"},
                system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}])


def test_anthropic_endpoint_passes_the_request_and_answer_through(gateway, fake, key, unique):
    """What the canonical form has no place for survives on an anthropic endpoint: thinking with its
    signature, stop_sequence, cache token counts, and is_error on a tool result on the next turn."""
    anthropic_endpoint(gateway, fake, unique)
    c = client(gateway, key)
    question = {"role": "user", "content": "alpha STOP beta"}
    msg = c.messages.create(model=unique, max_tokens=2048, messages=[question], **FAITHFUL)
    assert [b.type for b in msg.content] == ["thinking", "text"], msg
    assert msg.content[0].thinking == FAKE_THINKING and msg.content[0].signature == FAKE_SIGNATURE
    assert msg.content[1].text == "echo: alpha " and msg.stop_reason == "stop_sequence" and msg.stop_sequence == "STOP"
    assert msg.usage.cache_creation_input_tokens == 10, msg.usage
    ev = access_events(gateway, unique)[0]["metadata"]
    assert ev["outcome"] == "success" and int(ev["completionTokens"]) == msg.usage.output_tokens, ev

    # The next turn sends the thinking block back (the API requires it with thinking on) and a
    # failed tool's result; both reach the provider as written.
    use = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"text": "x"}}
    turn = c.messages.create(model=unique, max_tokens=2048, tools=TOOLS, thinking=FAITHFUL["thinking"], messages=[
        {"role": "user", "content": "weather in Paris"},
        {"role": "assistant", "content": [msg.content[0].model_dump(), use]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "no network",
                                      "is_error": True}]}])
    assert turn.content[-1].text.startswith("the tool failed: "), turn
    bodies = [r["body"] for r in fake.requests() if isinstance(r["body"], dict)]
    first = next(b for b in bodies if b.get("messages") == [question])
    assert first["model"] == "claude-3-5-haiku-20241022" and first["metadata"] == {"user_id": "u-42"}, first
    assert first["system"] == FAITHFUL["system"] and first["thinking"] == FAITHFUL["thinking"], first
    last = next(b for b in bodies if "no network" in json.dumps(b))
    assert last["messages"][1]["content"][0]["signature"] == FAKE_SIGNATURE, last
    assert last["messages"][2]["content"][0]["is_error"] is True, last


def test_anthropic_endpoint_stream_relays_every_event(gateway, fake, key, unique):
    """Streamed, the thinking and signature deltas, the stop_sequence and the cache counts arrive too."""
    anthropic_endpoint(gateway, fake, unique)
    kinds = []
    with client(gateway, key).messages.stream(model=unique, max_tokens=2048,
                                              messages=[{"role": "user", "content": "alpha STOP beta"}],
                                              **FAITHFUL) as stream:
        for event in stream:
            kinds.append(event.type)
        final = stream.get_final_message()
    assert "thinking" in kinds and "signature" in kinds, kinds
    assert [b.type for b in final.content] == ["thinking", "text"], final
    assert final.content[0].signature == FAKE_SIGNATURE and final.content[1].text == "echo: alpha "
    assert final.stop_reason == "stop_sequence" and final.stop_sequence == "STOP"
    assert final.usage.cache_creation_input_tokens == 10 and final.usage.output_tokens == 2, final.usage
    ev = access_events(gateway, unique)[0]["metadata"]
    assert ev["outcome"] == "success" and ev["stream"] == "true" and int(ev["completionTokens"]) == 2, ev


def test_other_providers_take_the_canonical_walk(gateway, fake, key, unique):
    """An OpenAI endpoint ignores what it has no place for (thinking, cache_control) and answers."""
    openai_endpoint(gateway, fake, unique)
    msg = client(gateway, key).messages.create(model=unique, max_tokens=256,
                                               messages=[{"role": "user", "content": "gamma"}],
                                               thinking=FAITHFUL["thinking"], metadata={"user_id": "u-42"})
    assert [b.type for b in msg.content] == ["text"] and msg.content[0].text == "echo: gamma"


def test_tools_reach_openai_wire_translated(gateway, fake, key, unique):
    """An OpenAI endpoint receives Anthropic tools as function tools and tool results as tool messages."""
    openai_endpoint(gateway, fake, unique)
    prompt = "after the tool " + unique
    msg = client(gateway, key).messages.create(
        model=unique, max_tokens=128, tools=TOOLS, tool_choice={"type": "auto"},
        messages=[{"role": "user", "content": "weather?"},
                  {"role": "assistant", "content": [{"type": "text", "text": "Checking."},
                                                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                                                     "input": {"text": "Paris"}}]},
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                                               {"type": "text", "text": prompt}]}])
    assert msg.content[0].text == reply(prompt)
    body = next(r["body"] for r in fake.requests() if r["path"] == "/v1/chat/completions"
                and prompt in str(r["body"]))
    assert body["tools"] == [{"type": "function", "function": {
        "name": "get_weather", "description": "The weather in a city", "parameters": TOOLS[0]["input_schema"]}}]
    assert body["tool_choice"] == "auto"
    assert body["messages"][1] == {"role": "assistant", "content": "Checking.", "tool_calls": [
        {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"text":"Paris"}'}}]}
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"}
    assert body["messages"][3] == {"role": "user", "content": prompt}


def test_prefix_route_and_bearer_auth(gateway, fake, key, unique):
    """Base URL <gateway>/anthropic, and Authorization: Bearer instead of x-api-key."""
    openai_endpoint(gateway, fake, unique)
    c = anthropic.Anthropic(base_url=gateway.url + "/anthropic", auth_token=key, max_retries=0)
    msg = c.messages.create(model=unique, max_tokens=64, messages=[{"role": "user", "content": "via prefix"}])
    assert msg.content[0].text == reply("via prefix")


def test_count_tokens(gateway, fake, key, unique):
    anthropic_endpoint(gateway, fake, unique)
    c = client(gateway, key)
    counted = c.messages.count_tokens(model=unique, system="Be brief.",
                                      messages=[{"role": "user", "content": "one two three"}])
    assert counted.input_tokens == 5  # the fake counts words of system and messages
    assert any(r["path"] == "/v1/messages/count_tokens" and r["credential"] == fake.key("anthropic")
               for r in fake.requests())

    openai_endpoint(gateway, fake, unique + "-o")
    with pytest.raises(anthropic.BadRequestError) as e:
        c.messages.count_tokens(model=unique + "-o", messages=[{"role": "user", "content": "x"}])
    assert e.value.body["error"]["type"] == "invalid_request_error"
    assert "count_tokens" in e.value.message and "openai" in e.value.message
    with pytest.raises(anthropic.NotFoundError):
        c.messages.count_tokens(model="missing-" + unique, messages=[{"role": "user", "content": "x"}])


def test_errors_use_anthropic_envelope(gateway, fake, unique):
    uid, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique)
    openai_endpoint(gateway, fake, unique + "-denied", everyone=False)
    c = client(gateway, key)
    hi = [{"role": "user", "content": "hi"}]

    with pytest.raises(anthropic.NotFoundError) as e:
        c.messages.create(model="missing-" + unique, max_tokens=8, messages=hi)
    assert e.value.body["type"] == "error" and e.value.body["error"]["type"] == "not_found_error"

    with pytest.raises(anthropic.PermissionDeniedError) as e:
        c.messages.create(model=unique + "-denied", max_tokens=8, messages=hi)
    assert e.value.body["error"]["type"] == "permission_error"
    denied = access_events(gateway, unique + "-denied")
    assert denied[0]["metadata"]["outcome"] == "denied" and denied[0]["metadata"]["api"] == "anthropic"

    with pytest.raises(anthropic.BadRequestError) as e:
        c.messages.create(model=unique, max_tokens=8, messages=hi, extra_body={"temperature": 1.5})
    assert e.value.body["error"]["type"] == "invalid_request_error" and "temperature" in e.value.message

    with pytest.raises(anthropic.BadRequestError) as e:  # wrong type
        c.messages.create(model=unique, max_tokens=8, messages=[{"role": "user", "content": 5}])
    assert "messages.0.content" in e.value.message

    with pytest.raises(anthropic.AuthenticationError) as e:
        client(gateway, "lgk_wrong_key_000000000").messages.create(model=unique, max_tokens=8, messages=hi)
    assert e.value.body["error"]["type"] == "authentication_error"

    for body, needle in [(b"{not json", "JSON"), (b'{"model":"%s","messages":[]}' % unique.encode(), "max_tokens")]:
        r = requests.post(gateway.url + "/v1/messages", data=body, timeout=30,
                          headers={"x-api-key": key, "content-type": "application/json", "anthropic-version": "2023-06-01"})
        assert r.status_code == 400, r.text
        assert r.json()["type"] == "error" and r.json()["error"]["type"] == "invalid_request_error", r.text
        assert needle in r.json()["error"]["message"], r.text


def test_rate_limited_and_oversized(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, rateLimits={"callsPerMinute": {"perUser": 1}})
    c = client(gateway, key)
    hi = [{"role": "user", "content": "hi"}]
    c.messages.create(model=unique, max_tokens=8, messages=hi)
    with pytest.raises(anthropic.RateLimitError) as e:
        c.messages.create(model=unique, max_tokens=8, messages=hi)
    assert e.value.body["error"]["type"] == "rate_limit_error"
    assert int(e.value.response.headers["retry-after"]) >= 1

    # A token budget: the first answer spends it, the next call is refused before any upstream call.
    openai_endpoint(gateway, fake, unique + "-budget", rateLimits={"tokensPerMinute": {"perUser": 5}})
    c.messages.create(model=unique + "-budget", max_tokens=8, messages=[{"role": "user", "content": "one two three"}])
    with pytest.raises(anthropic.RateLimitError) as e:
        c.messages.create(model=unique + "-budget", max_tokens=8, messages=hi)
    assert e.value.body["error"]["type"] == "rate_limit_error" and "tokens" in e.value.message
    assert sorted(ev["metadata"]["outcome"] for ev in access_events(gateway, unique + "-budget")) == ["rate_limited", "success"]

    openai_endpoint(gateway, fake, unique + "-big")
    with pytest.raises(anthropic.APIStatusError) as e:
        c.messages.create(model=unique + "-big", max_tokens=8,
                          messages=[{"role": "user", "content": "x" * (11 << 20)}])
    assert e.value.status_code == 413 and e.value.body["error"]["type"] == "request_too_large"


def test_broken_stream_ends_with_error_event(gateway, fake, key, unique):
    """The upstream drops mid-stream: the SDK raises from the stream's error event and the audit says so."""
    config = {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}
    gateway.create_endpoint(unique, CHAT, "openai", "fake-drop", config)
    with pytest.raises(anthropic.APIStatusError) as e:
        with client(gateway, key).messages.stream(model=unique, max_tokens=64,
                                                  messages=[{"role": "user", "content": "a b c d"}]) as stream:
            for _ in stream:
                pass
    assert e.value.body["error"]["type"] in ("api_error", "overloaded_error"), e.value.body
    ev = access_events(gateway, unique)[0]["metadata"]
    assert ev["api"] == "anthropic" and ev["outcome"] == "upstream_error", ev


def test_models_list_only_what_the_caller_may_use(gateway, fake, unique):
    """Anthropic's models listing (on /v1/models with anthropic-version, and under /anthropic)
    names only the chat endpoints the caller may use; OpenAI's /v1/models every type, same rule."""
    uid, key = gateway.create_user("u-" + unique)
    _, other = gateway.create_user("o-" + unique)
    openai_endpoint(gateway, fake, unique + "-open")
    openai_endpoint(gateway, fake, unique + "-mine", everyone=False, user_ids=[uid])
    openai_endpoint(gateway, fake, unique + "-theirs", everyone=False)
    config = {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}
    gateway.create_endpoint(unique + "-emb", "llm/v1/embeddings", "openai", "text-embedding-3-small", config)
    mine = {unique + "-open", unique + "-mine"}
    for prefix in ("", "/anthropic"):
        c = client(gateway, key, prefix)
        listed = {m.id for m in c.models.list(limit=1) if m.id.startswith(unique)}  # auto-paginates
        assert listed == mine, (prefix, listed)
        m = c.models.retrieve(unique + "-mine")
        assert m.type == "model" and m.display_name == unique + "-mine" and m.created_at.year >= 2024
        for hidden in (unique + "-theirs", unique + "-emb", "missing-" + unique):
            with pytest.raises(anthropic.NotFoundError):
                c.models.retrieve(hidden)
    page = client(gateway, key).models.list(limit=1000)
    assert page.has_more is False and page.first_id == page.data[0].id and page.last_id == page.data[-1].id
    others = {m.id for m in client(gateway, other).models.list() if m.id.startswith(unique)}
    assert others == {unique + "-open"}
    with pytest.raises(anthropic.AuthenticationError):
        client(gateway, "lgk_wrong_key_000000000").models.list()

    import openai
    sdk = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    assert {m.id for m in sdk.models.list() if m.id.startswith(unique)} == mine | {unique + "-emb"}
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve(unique + "-theirs")


# --- the README's client surface matrix is this suite's parametrization --------------------

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def surface_matrix_lines():
    """One line per provider serving chat: the test id of each client surface's cell
    (Anthropic here, OpenAI Responses in test_openai_responses.py, Claude Code in test_claude_code.py)."""
    lines = ["| provider | Anthropic `messages.create` | Anthropic `messages.stream` | "
             "OpenAI `responses.create` | OpenAI `responses.create(stream=True)` | Claude Code `claude -p` |",
             "|---|---|---|---|---|---|"]
    for row in sorted((p.values[0] for p in chat_rows()), key=lambda r: r.id):
        streams = CHAT in row.streams
        cells = [f"`test_messages_create[{row.id}]`", f"`test_messages_stream[{row.id}]`" if streams else "—",
                 f"`test_responses_create[{row.id}]`", f"`test_responses_stream[{row.id}]`" if streams else "—"]
        # test_claude_code.py: Claude Code always streams; the anthropic row runs its tool loop.
        cells.append("`test_claude_code_tool_loop_on_an_anthropic_endpoint`" if row.provider == "anthropic"
                     else f"`test_claude_code_print_mode[{row.id}]`" if streams else "—")
        lines.append(f"| `{row.id}` | " + " | ".join(cells) + " |")
    return lines


def test_readme_surface_matrix_is_this_suite():
    """Regenerate the table with `python tests/python/test_anthropic_sdk.py`."""
    with open(README, encoding="utf-8") as f:
        readme = f.read()
    section = readme.split("\n## Client surface matrix\n", 1)
    assert len(section) == 2, "README.md has no Client surface matrix section"
    table = [line for line in section[1].split("\n## ", 1)[0].splitlines() if line.startswith("|")]
    assert table == surface_matrix_lines()


if __name__ == "__main__":
    print("\n".join(surface_matrix_lines()))
