"""The response cache with the real clients: a repeated request is answered without calling
the provider (the fake's request log proves it), never with another endpoint's answer, and
Cache-Control: no-cache bypasses it; a hit is audited as such with zero tokens and cost; an
endpoint change invalidates what was cached for it."""
import openai
from mlflow.deployments import get_deploy_client

CACHE = {"ttlSeconds": 300}


def endpoint(gateway, fake, name, model, **extra):
    config = {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}
    gateway.create_endpoint(name, "llm/v1/chat", "openai", model, config, **extra)


def upstream_calls(fake, model):
    return sum(1 for r in fake.requests() if r["model"] == model)


def access(gateway, name):
    return [ev["metadata"] for ev in gateway.audit(endpointNames=name) if ev["eventKind"] == "AccessGatewayEndpoint"]


def test_repeat_is_served_from_cache_and_never_across_endpoints(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    model = "m-" + unique
    endpoint(gateway, fake, unique, model, cache=CACHE)
    endpoint(gateway, fake, unique + "-twin", model, cache=CACHE)
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    ask = lambda name, **kw: client.chat.completions.create(
        model=name, messages=[{"role": "user", "content": "cache me"}], **kw).choices[0].message.content
    assert ask(unique) == ask(unique) == "echo: cache me"
    assert upstream_calls(fake, model) == 1
    assert ask(unique + "-twin") == "echo: cache me"
    assert upstream_calls(fake, model) == 2, "the twin endpoint must not be answered from the first one's cache"
    assert ask(unique, extra_headers={"Cache-Control": "no-cache"}) == "echo: cache me"
    assert upstream_calls(fake, model) == 3
    events = access(gateway, unique)
    states = sorted(e.get("cache") for e in events)
    assert states == ["bypass", "hit", "miss"], states
    hit = next(e for e in events if e.get("cache") == "hit")
    assert hit["totalTokens"] == "0" and hit["cost"] == "0", hit


def test_mlflow_client_hits_and_an_endpoint_change_invalidates(gateway, fake, unique, monkeypatch):
    _, key = gateway.create_user("u-" + unique)
    model = "m-" + unique
    endpoint(gateway, fake, unique, model, cache=CACHE)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", key)
    client = get_deploy_client(gateway.url)
    ask = lambda: client.predict(endpoint=unique, inputs={"messages": [{"role": "user", "content": "x"}]})
    assert ask()["choices"][0]["message"]["content"] == ask()["choices"][0]["message"]["content"]
    assert upstream_calls(fake, model) == 1
    r = gateway.admin("PATCH", f"/api/aigateway/v1/endpoints/{unique}", json={"timeoutSeconds": 30})
    assert r.status_code == 200, r.text
    ask()
    assert upstream_calls(fake, model) == 2, "an edited endpoint must not serve answers cached before the edit"


def test_bad_cache_policy_is_a_400(gateway, fake, unique):
    config = {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}
    for cache, field in [({"ttlSeconds": 0}, "cache.ttlSeconds"), ({"ttlSeconds": "long"}, "cache.ttlSeconds"),
                         ({"ttl": 5}, "cache")]:
        r = gateway.admin("POST", "/api/aigateway/v1/endpoints", json={
            "endpointName": unique, "endpointType": "llm/v1/chat", "modelProvider": "openai", "modelName": "gpt-4o-mini",
            "modelConfig": config, "endpointPermissions": {"isEveryoneAllowed": True, "userIds": []}, "cache": cache})
        assert r.status_code == 400 and field in r.text, (cache, r.text)
