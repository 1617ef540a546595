"""The unmodified MLflow Deployments client (2.x and 3.x) against llmgate (docs/contract/mlflow-deployments.md §9 items 3-19, 23-32).

Assumes the fake upstream fixture exposes `url`, `api_key` and `requests()` (its /_fake/requests log).
"""
import json
import os

import pytest
import requests

pytestmark = pytest.mark.mlflow

os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"  # surface errors at once (docs/contract/mlflow-deployments.md §9)


def openai_endpoint(gateway, fake, name, endpoint_type, model="gpt-4o-mini", **extra):
    config = {"openai_api_key": fake.api_key, "openai_api_base": fake.url + "/v1"}
    return gateway.create_endpoint(name, endpoint_type, "openai", model, config, **extra)


@pytest.fixture()
def client(gateway, monkeypatch):
    """A deployments client authenticated as a fresh user (Bearer via MLFLOW_TRACKING_TOKEN)."""
    from mlflow.deployments import get_deploy_client

    def make(key):
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", key)
        return get_deploy_client(gateway.url)

    return make


def test_list_get_and_predict_every_type(gateway, fake, client, unique):
    _, key = gateway.create_user("u-" + unique)
    names = {t: f"{unique}-{t.split('/')[-1]}" for t in ("llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings")}
    for t, n in names.items():
        openai_endpoint(gateway, fake, n, t)
    c = client(key)

    listed = {e.name: e for e in c.list_endpoints()}
    for t, n in names.items():
        assert listed[n].endpoint_type == t
        assert listed[n].model.provider == "openai"
        assert listed[n].endpoint_url == f"{gateway.url}/gateway/{n}/invocations"
    got = c.get_endpoint(names["llm/v1/chat"])
    assert got.name == names["llm/v1/chat"] and got.model.name == "gpt-4o-mini"

    chat = c.predict(endpoint=names["llm/v1/chat"], inputs={"messages": [{"role": "user", "content": "Say hi"}]})
    assert chat["object"] == "chat.completion"
    assert chat["choices"][0]["message"]["role"] == "assistant"
    assert isinstance(chat["created"], int) and isinstance(chat["model"], str) and "usage" in chat

    comp = c.predict(endpoint=names["llm/v1/completions"], inputs={"prompt": "One small step for"})
    assert comp["object"] == "text_completion" and isinstance(comp["choices"][0]["text"], str)

    emb = c.predict(endpoint=names["llm/v1/embeddings"], inputs={"input": ["alpha", "beta"]})
    assert emb["object"] == "list" and [d["index"] for d in emb["data"]] == [0, 1]
    one = c.predict(endpoint=names["llm/v1/embeddings"], inputs={"input": "alpha"})
    assert len(one["data"]) == 1


def test_missing_endpoint_and_validation_errors(gateway, fake, client, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat")
    c = client(key)
    with pytest.raises(requests.HTTPError) as e:
        c.get_endpoint("missing-" + unique)
    assert e.value.response.status_code == 404

    for bad in ({"temperature": 2.5}, {"n": 0}, {"max_tokens": 0}, {"stop": []}):
        with pytest.raises(requests.HTTPError) as e:
            c.predict(endpoint=unique, inputs={"messages": [{"role": "user", "content": "x"}], **bad})
        assert e.value.response.status_code == 422
        field = next(iter(bad))
        assert e.value.response.json()["detail"][0]["loc"] == ["body", field]
    ok = c.predict(endpoint=unique, inputs={"messages": [{"role": "user", "content": "x"}], "temperature": 2})
    assert ok["object"] == "chat.completion"


def test_denied_request_is_403_and_audited(gateway, fake, client, unique):
    uid, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat", everyone=False)
    c = client(key)
    assert unique not in [e.name for e in c.list_endpoints()]
    with pytest.raises(requests.HTTPError) as e:
        c.predict(endpoint=unique, inputs={"messages": [{"role": "user", "content": "x"}]})
    assert e.value.response.status_code == 403
    events = gateway.audit(endpointNames=unique)
    denied = [ev for ev in events if ev["metadata"].get("outcome") == "denied"]
    assert len(denied) == 1 and denied[0]["metadata"]["accessedByUserId"] == uid

    # Granting the user applies to the very next request.
    r = gateway.admin("PATCH", f"/api/aigateway/v1/endpoints/{unique}/permissions",
                      json={"isEveryoneAllowed": False, "userIds": [uid]})
    assert r.status_code == 200, r.text
    assert c.predict(endpoint=unique, inputs={"messages": [{"role": "user", "content": "x"}]})["object"] == "chat.completion"


def test_basic_auth_and_wrong_token(gateway, fake, monkeypatch, unique):
    from mlflow.deployments import get_deploy_client

    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "wrong")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "someone")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", key)  # Basic wins over the (wrong) token
    assert get_deploy_client(gateway.url).get_endpoint(unique).name == unique
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD")
    with pytest.raises(requests.HTTPError) as e:
        get_deploy_client(gateway.url).get_endpoint(unique)
    assert e.value.response.status_code == 401


def test_mlflow_stream_is_data_only_without_done(gateway, fake, unique):
    """The MLflow client cannot stream; parse raw SSE like the Databricks client does."""
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/completions")
    r = requests.post(f"{gateway.url}/endpoints/{unique}/invocations", stream=True, timeout=60,
                      headers={"Authorization": f"Bearer {key}"}, json={"prompt": "hello there", "stream": True})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
    chunks = []
    for line in r.iter_lines(decode_unicode=True):
        if not line:
            continue
        assert line.startswith("data: "), line
        assert line != "data: [DONE]"
        chunks.append(json.loads(line[len("data: "):]))
    assert chunks and all(c["object"] == "text_completion_chunk" for c in chunks)
    assert any(c["choices"][0]["delta"]["content"] for c in chunks)


def test_rate_limit_is_429_with_error_key(gateway, fake, client, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat", rateLimits={"callsPerMinute": {"endpoint": 1}})
    c = client(key)
    c.predict(endpoint=unique, inputs={"messages": [{"role": "user", "content": "x"}]})
    with pytest.raises(requests.HTTPError) as e:
        c.predict(endpoint=unique, inputs={"messages": [{"role": "user", "content": "x"}]})
    assert e.value.response.status_code == 429
    assert e.value.response.json()["error"].startswith("Rate limit exceeded")
    assert int(e.value.response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("marker", ["fake-drop", "fake-cut"])
def test_mlflow_stream_cut_errs(gateway, fake, unique, marker):
    """A stream the upstream drops, or ends without its terminal event, must not read as a
    complete answer: MLflow's SSE has no error frame, so the gateway aborts the response like
    MLflow's server does, and the Databricks-style reader raises."""
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, "llm/v1/chat", model="gpt-" + marker)
    r = requests.post(f"{gateway.url}/endpoints/{unique}/invocations", stream=True, timeout=60,
                      headers={"Authorization": f"Bearer {key}"},
                      json={"messages": [{"role": "user", "content": "one two three"}], "stream": True})
    assert r.status_code == 200
    chunks = []
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for line in r.iter_lines(decode_unicode=True):
            if line:
                chunks.append(json.loads(line[len("data: "):]))
    assert chunks and chunks[0]["object"] == "chat.completion.chunk"
    assert not any(ch.get("finish_reason") for c in chunks for ch in c["choices"])
