"""Retries through a staged outage, with the real clients: the fake upstream answers the
endpoint's model fake-seq-<steps> with 429, then 500, then normally (fakeupstream's staged
outages). With routing {"retryOn": ["429", "5xx"], "maxAttempts": 3} every client call still
succeeds, and the access event records each attempt; without it the first failure reaches the
client in its own error shape."""
import openai
import pytest
from mlflow.deployments import get_deploy_client

ROUTING = {"retryOn": ["429", "5xx"], "maxAttempts": 3}


def staged(gateway, fake, name, steps, **extra):
    config = {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}
    gateway.create_endpoint(name, "llm/v1/chat", "openai", f"fake-seq-{steps}-{name}", config, **extra)


def attempts(gateway, name):
    return [ev["metadata"] for ev in gateway.audit(endpointNames=name) if ev["eventKind"] == "AccessGatewayEndpoint"]


def test_openai_sdk_rides_through_429_then_500(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    staged(gateway, fake, unique, "429.500.ok", routing=ROUTING)
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    reply = client.chat.completions.create(model=unique, messages=[{"role": "user", "content": "still there"}])
    assert reply.choices[0].message.content == "echo: still there"
    md = attempts(gateway, unique)[0]
    assert md["outcome"] == "success" and md["upstreamAttempts"] == "3", md
    assert [a.split(":")[0] for a in md["attempts"].split(",")] == ["429", "500", "200"], md


def test_mlflow_client_rides_through_an_outage(gateway, fake, unique, monkeypatch):
    _, key = gateway.create_user("u-" + unique)
    staged(gateway, fake, unique, "503.502.ok", routing=ROUTING)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", key)
    out = get_deploy_client(gateway.url).predict(endpoint=unique, inputs={"messages": [{"role": "user", "content": "hi"}]})
    assert out["choices"][0]["message"]["content"] == "echo: hi"
    assert attempts(gateway, unique)[0]["upstreamAttempts"] == "3"


def test_without_routing_the_failure_reaches_the_client(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    staged(gateway, fake, unique, "429.ok")
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model=unique, messages=[{"role": "user", "content": "hi"}])


def test_callers_own_errors_are_not_retried(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    staged(gateway, fake, unique, "400.ok", routing=ROUTING)
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=unique, messages=[{"role": "user", "content": "hi"}])
    assert "upstreamAttempts" not in attempts(gateway, unique)[0]


def test_streams_retry_before_their_first_byte(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    staged(gateway, fake, unique, "429.ok", routing=ROUTING)
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    text = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model=unique, messages=[{"role": "user", "content": "streamed"}], stream=True) if c.choices)
    assert text == "echo: streamed"


@pytest.mark.parametrize("routing,field", [({"retryOn": ["418"]}, "routing.retryOn"),
                                           ({"maxAttempts": 50}, "routing.maxAttempts"),
                                           ({"retryOn": "429"}, "routing.retryOn"),
                                           ({"backoff": 1}, "routing.backoff")])
def test_bad_routing_is_a_400_naming_the_field(gateway, fake, unique, routing, field):
    config = {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}
    r = gateway.admin("POST", "/api/aigateway/v1/endpoints", json={
        "endpointName": unique, "endpointType": "llm/v1/chat", "modelProvider": "openai", "modelName": "gpt-4o-mini",
        "modelConfig": config, "endpointPermissions": {"isEveryoneAllowed": True, "userIds": []}, "routing": routing})
    assert r.status_code == 400 and field in r.text, r.text


def target(fake, model, weight=None):
    t = {"modelProvider": "openai", "modelName": model,
         "modelConfig": {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}}
    if weight is not None:
        t["weight"] = weight
    return t


def test_outage_of_the_first_target_falls_back_to_the_second(gateway, fake, unique, monkeypatch):
    """The endpoint's own model answers 429 then 500s; every call still succeeds through the
    second target, with the openai SDK and the MLflow client; GET shows the target masked."""
    _, key = gateway.create_user("u-" + unique)
    staged(gateway, fake, unique, "429.500", routing={"strategy": "fallback"},
           targets=[target(fake, "backup-" + unique)])
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    for i in range(5):
        r = client.chat.completions.create(model=unique, messages=[{"role": "user", "content": f"q{i}"}])
        assert r.choices[0].message.content == f"echo: q{i}"
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", key)
    out = get_deploy_client(gateway.url).predict(endpoint=unique, inputs={"messages": [{"role": "user", "content": "m"}]})
    assert out["choices"][0]["message"]["content"] == "echo: m"
    events = attempts(gateway, unique)
    assert len(events) == 6 and all(e["outcome"] == "success" and e["modelName"] == "backup-" + unique for e in events), [(e["outcome"], e["modelName"], e.get("routes")) for e in events]
    assert all(e["routes"].startswith("2:openai/fake-seq-429.500-") and e["routes"].endswith(":answered") for e in events), events
    got = gateway.admin("GET", f"/api/aigateway/v1/endpoints/{unique}").json()
    assert got["targets"][0]["modelName"] == "backup-" + unique
    assert got["targets"][0]["modelConfig"]["openai_api_key"] == "********", got["targets"]


def test_stream_falls_back_before_its_first_byte(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    staged(gateway, fake, unique, "503", targets=[target(fake, "backup-" + unique)])
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    text = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model=unique, messages=[{"role": "user", "content": "s"}], stream=True) if c.choices)
    assert text == "echo: s"


def test_bad_targets_are_400s_naming_the_field(gateway, fake, unique):
    config = {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}
    base = {"endpointName": unique, "endpointType": "llm/v1/chat", "modelProvider": "openai", "modelName": "gpt-4o-mini",
            "modelConfig": config, "endpointPermissions": {"isEveryoneAllowed": True, "userIds": []}}
    for targets, field in [([{"modelProvider": "nope", "modelName": "m", "modelConfig": {}}], "targets[0]"),
                           ([{"modelProvider": "openai", "modelConfig": config}], "targets[0].modelName"),
                           ([{**target(fake, "m"), "colour": "red"}], "targets[0].colour"),
                           ([{**target(fake, "m"), "weight": -1}], "targets[0].weight"),
                           ("all of them", "targets")]:
        r = gateway.admin("POST", "/api/aigateway/v1/endpoints", json={**base, "targets": targets})
        assert r.status_code == 400 and field in r.text, (targets, r.text)


def test_hung_target_is_cut_at_the_deadline_and_the_next_answers(gateway, fake, unique):
    """The endpoint's own model never answers; after its 1 s timeout the second target does.
    The extra latency of that fallback is the timeout (printed)."""
    import time
    _, key = gateway.create_user("u-" + unique)
    staged(gateway, fake, unique, "hang", timeoutSeconds=1, targets=[target(fake, "backup-" + unique)])
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    started = time.monotonic()
    r = client.chat.completions.create(model=unique, messages=[{"role": "user", "content": "wake up"}])
    took = time.monotonic() - started
    assert r.choices[0].message.content == "echo: wake up"
    assert 1.0 <= took < 5, took
    print(f"fallback after a hung target answered in {took:.2f} s (timeout 1 s)")
    md = attempts(gateway, unique)[0]
    assert md["routes"].endswith(":answered") and ":timeout" in md["routes"], md


def test_least_busy_sends_more_to_the_faster_target(gateway, fake, unique):
    """With least-busy, a target that answers in 300 ms holds its queries longer, so under 6
    concurrent callers the fast target takes most of them (the split is printed)."""
    from concurrent.futures import ThreadPoolExecutor
    _, key = gateway.create_user("u-" + unique)
    gateway.create_endpoint(unique, "llm/v1/chat", "openai", f"fake-slow-300-{unique}",
                            {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"},
                            routing={"strategy": "least-busy"}, targets=[target(fake, "fast-" + unique)])
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)

    def call(i):
        return client.chat.completions.create(model=unique, messages=[{"role": "user", "content": f"q{i}"}])

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(call, range(60)))
    models = [e["modelName"] for e in attempts(gateway, unique)]
    fast = sum(1 for m in models if m.startswith("fast-"))
    print(f"least-busy: {fast} of {len(models)} queries to the fast target, {len(models) - fast} to the 300 ms one")
    assert len(models) == 60 and fast >= 40, (fast, len(models))
