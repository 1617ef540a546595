"""The official openai SDK against llmgate's /v1 surface, plus the query path's guarantees:
exact call limits, credential confinement, client cancellation and unbuffered streaming.

Assumes the fake upstream fixture exposes `url`, `api_key` and `requests()` (its /_fake/requests
log, each entry with the model, the credential it received and whether the client cancelled).
"""
import concurrent.futures
import time

import openai
import pytest
import requests

import harness


def openai_endpoint(gateway, fake, name, endpoint_type, model="gpt-4o-mini", **extra):
    config = {"openai_api_key": fake.api_key, "openai_api_base": fake.url + "/v1"}
    return gateway.create_endpoint(name, endpoint_type, "openai", model, config, **extra)


def sdk(gateway, key):
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)


def test_chat_completions_embeddings(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique + "-c", "llm/v1/chat")
    openai_endpoint(gateway, fake, unique + "-t", "llm/v1/completions", model="gpt-3.5-turbo-instruct")
    openai_endpoint(gateway, fake, unique + "-e", "llm/v1/embeddings", model="text-embedding-3-small")
    c = sdk(gateway, key)
    chat = c.chat.completions.create(model=unique + "-c", messages=[{"role": "user", "content": "hi"}])
    assert chat.choices[0].message.role == "assistant" and chat.usage.total_tokens > 0
    assert c.completions.create(model=unique + "-t", prompt="One small step").choices[0].text
    emb = c.embeddings.create(model=unique + "-e", input=["a", "b"])
    assert [d.index for d in emb.data] == [0, 1]
    models = [m.id for m in c.models.list()]
    assert unique + "-c" in models
    # The endpoint name is never forwarded: the upstream saw the endpoint's model.
    seen = [r.get("model") for r in fake.requests()]
    assert "gpt-4o-mini" in seen and unique + "-c" not in seen


def test_streaming_usage_only_when_asked(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat")
    c = sdk(gateway, key)
    msgs = [{"role": "user", "content": "count to three"}]
    with_usage = list(c.chat.completions.create(model=unique, messages=msgs, stream=True,
                                                stream_options={"include_usage": True}))
    assert with_usage[-1].usage is not None and with_usage[-1].choices == []
    without = list(c.chat.completions.create(model=unique, messages=msgs, stream=True))
    assert all(ch.usage is None for ch in without)
    assert "".join(ch.choices[0].delta.content or "" for ch in without if ch.choices)


def test_errors_use_openai_envelope(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/embeddings")
    c = sdk(gateway, key)
    with pytest.raises(openai.BadRequestError) as e:
        c.chat.completions.create(model=unique, messages=[{"role": "user", "content": "x"}])
    assert "is not a chat endpoint" in e.value.message
    with pytest.raises(openai.BadRequestError):
        c.chat.completions.create(model="missing-" + unique, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.AuthenticationError):
        sdk(gateway, "lgk_wrong_key_000000000").models.list()


def test_input_caps_raise_bad_request_naming_the_field(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat")
    c = sdk(gateway, key)
    with pytest.raises(openai.BadRequestError) as e:
        c.chat.completions.create(model=unique, messages=[{"role": "wizard", "content": "x"}])
    assert e.value.param == "messages.0.role" and "'wizard'" not in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        c.chat.completions.create(model=unique, messages=[{"role": "user", "content": "x"}], n=10000)
    assert e.value.param == "n" and "less than or equal to 128" in e.value.message


def test_call_limit_admits_exactly_n_of_3n_concurrent(gateway, fake, unique):
    n = 4
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat", rateLimits={"callsPerMinute": {"perUser": n}})

    def call(_):
        r = requests.post(gateway.url + "/v1/chat/completions", timeout=60, headers={"Authorization": f"Bearer {key}"},
                          json={"model": unique, "messages": [{"role": "user", "content": "x"}]})
        return r.status_code, r.headers.get("Retry-After")

    with concurrent.futures.ThreadPoolExecutor(3 * n) as pool:
        results = list(pool.map(call, range(3 * n)))
    assert sorted(s for s, _ in results).count(200) == n
    assert [s for s, _ in results].count(429) == 2 * n
    assert all(int(ra) >= 1 for s, ra in results if s == 429)
    outcomes = [ev["metadata"]["outcome"] for ev in gateway.audit(endpointNames=unique)
                if ev["eventKind"] == "AccessGatewayEndpoint"]
    assert outcomes.count("success") == n and outcomes.count("rate_limited") == 2 * n


def test_stored_credential_reaches_only_the_provider(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat")
    r = requests.post(gateway.url + "/v1/chat/completions", timeout=60, headers={"Authorization": f"Bearer {key}"},
                      json={"model": unique, "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 200
    assert any(rec.get("credential") == fake.api_key for rec in fake.requests())
    secret = fake.api_key
    metrics = requests.get(gateway.url + "/metrics", timeout=30).text
    endpoint = gateway.admin("GET", f"/api/aigateway/v1/endpoints/{unique}").text
    audit = str(gateway.audit())
    for text in (r.text, str(r.headers), metrics, endpoint, audit, gateway.logs()):
        assert secret not in text


def test_client_leaving_mid_stream_cancels_upstream(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat", model="fake-slow-2000")
    r = requests.post(gateway.url + "/v1/chat/completions", stream=True, timeout=60,
                      headers={"Authorization": f"Bearer {key}"},
                      json={"model": unique, "stream": True, "messages": [{"role": "user", "content": "a b c d e f"}]})
    lines = r.iter_lines()
    assert next(line for line in lines if line).startswith(b"data: ")
    r.close()  # the client goes away while the provider is still generating

    def outcome():
        evs = [ev for ev in gateway.audit(endpointNames=unique) if ev["eventKind"] == "AccessGatewayEndpoint"]
        return evs and evs[0]["metadata"]["outcome"]

    assert harness.wait_until(outcome, timeout=15) == "client_cancelled"
    assert harness.wait_until(lambda: any(rec.get("model") == "fake-slow-2000" and rec.get("cancelled")
                                          for rec in fake.requests()), timeout=15)


def test_first_token_is_not_delayed_by_buffering(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat", model="fake-slow-1000")
    start = time.monotonic()
    stream = sdk(gateway, key).chat.completions.create(
        model=unique, stream=True, messages=[{"role": "user", "content": "one two three four"}])
    first = next(iter(stream))
    first_at = time.monotonic() - start
    rest = list(stream)
    total = time.monotonic() - start
    assert first.choices and rest
    # The fake waits 1 s between events: the first chunk must arrive well before the last.
    assert first_at < total - 1.5, (first_at, total)


@pytest.mark.parametrize("marker", ["fake-drop", "fake-cut"])
def test_sdk_stream_cut_raises(gateway, fake, unique, marker):
    """A stream the upstream drops, or ends without finish_reason and [DONE], ends with an
    OpenAI error event that the SDK raises, and is audited as an upstream error."""
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat", model="gpt-" + marker)
    texts = []
    with pytest.raises(openai.APIError):
        for chunk in sdk(gateway, key).chat.completions.create(
                model=unique, stream=True, messages=[{"role": "user", "content": "one two three"}]):
            texts.extend(c.delta.content or "" for c in chunk.choices)
    assert texts

    def outcome():
        evs = [ev for ev in gateway.audit(endpointNames=unique) if ev["eventKind"] == "AccessGatewayEndpoint"]
        return evs and evs[0]["metadata"]["outcome"]

    assert harness.wait_until(outcome, timeout=15) == "upstream_error"
