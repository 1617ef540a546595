"""The provider support matrix, proven end to end (issue 6).

For every provider in registry.Default() and every endpoint type it serves, an endpoint is
created with that provider's MLflow config keys pointing at the fake upstream and driven with
the real MLflow Deployments client; every streaming (provider, type) is also streamed over
raw MLflow SSE and through the openai SDK. Per provider: rejected credentials, upstream rate
limits, missing config keys and the provider-configs route. The README's "Provider support
matrix" names these tests cell by cell.

The fake upstream answers deterministically (fakeupstream.Reply: "echo: " + last user text,
usage counted in words, embeddings from SHA-256), so every answer is checked for content, not
just shape. Behaviours are chosen by model name, or by URL path for the wires that carry no
model name (TGI /tgi/<model>, MLflow serving /serving/<model>).
"""
import dataclasses
import functools
import hashlib
import json
import os
import struct
from typing import Callable

import pytest
import requests

os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"  # surface errors at once

CHAT, COMPLETIONS, EMBEDDINGS = "llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings"
ALL_TYPES = (CHAT, COMPLETIONS, EMBEDDINGS)
TEXT_TYPES = (CHAT, COMPLETIONS)

# The fake's static SigV4 pair (fakeupstream.TestAWSAccessKeyID / TestAWSSecretAccessKey).
AWS_KEY_ID = "AKIDFAKEUPSTREAM0001"
AWS_SECRET = "fakeupstream/secret/access/key/0000000000"


def reply(prompt):
    """fakeupstream.Reply."""
    return "echo: " + prompt


def embedding(text):
    """fakeupstream.Embedding: 8 values in [-1, 1] from the SHA-256 of text."""
    digest = hashlib.sha256(text.encode()).digest()
    return [v / 32767.5 - 1 for v in struct.unpack(">8H", digest[:16])]


@dataclasses.dataclass(frozen=True)
class Row:
    """One provider as the matrix exercises it.

    endpoint(fake, type, model) returns (modelName, modelConfig) for an endpoint whose upstream
    requests name `model` on the fake (by model name or by URL path), so a test finds its own
    request in the fake's shared log and chooses behaviours ("fake-error-401") the same way for
    every wire. route(type, model, stream) is the path the fake must have been called on, and
    upstream(type) / credential(fake, type) the fake's provider record name and the credential
    it must have received (None where the wire has no authentication).
    """

    provider: str
    types: tuple
    streams: tuple
    required: tuple
    endpoint: Callable
    upstream: Callable
    credential: Callable
    route: Callable
    skip: str = ""
    variant: str = ""
    retired: bool = False
    # MLflow's scoring server answers bare predictions: no finish reason, no token counts.
    bare_predictions: bool = False

    @property
    def id(self):
        return self.provider + (f"-type-{self.variant}" if self.variant else "")


def openai_wire_route(prefix):
    paths = {CHAT: "/chat/completions", COMPLETIONS: "/completions", EMBEDDINGS: "/embeddings"}
    return lambda t, model, stream: prefix + paths[t]


def openai_compatible(provider, key_prefix, types=ALL_TYPES, completions_via_chat=False):
    """Providers on the OpenAI wire with <p>_api_key / <p>_api_base, served by the fake's /v1."""

    def endpoint(fake, t, model):
        return model, {f"{key_prefix}_api_key": fake.key("openai"), f"{key_prefix}_api_base": fake.url + "/v1"}

    wire = openai_wire_route("/v1")

    def route(t, model, stream):
        return wire(CHAT if completions_via_chat and t == COMPLETIONS else t, model, stream)

    return Row(provider=provider, types=types, streams=TEXT_TYPES, required=(f"{key_prefix}_api_key",),
               endpoint=endpoint, upstream=lambda t: "openai", credential=lambda fake, t: fake.key("openai"),
               route=route)


def openai_generic(provider, key_required=True):
    """MLflow 3.x's generic OpenAI-compatible providers: api_key / api_base, chat and embeddings."""

    def endpoint(fake, t, model):
        return model, {"api_key": fake.key("openai"), "api_base": fake.url + "/v1"}

    return Row(provider=provider, types=(CHAT, EMBEDDINGS), streams=(CHAT,),
               required=("api_key",) if key_required else (), endpoint=endpoint, upstream=lambda t: "openai",
               credential=lambda fake, t: fake.key("openai"), route=openai_wire_route("/v1"))


def azure_row(provider, api_type, variant=""):
    def endpoint(fake, t, model):
        config = {"openai_api_key": fake.key("azure"), "openai_api_base": fake.url,
                  "openai_api_version": "2024-06-01", "openai_deployment_name": model}
        if api_type:
            config["openai_api_type"] = api_type
        return "gpt-4o-mini", config

    wire = openai_wire_route("")
    required = ("openai_api_key",) if provider == "openai" else (
        "openai_api_key", "openai_api_base", "openai_api_version", "openai_deployment_name")
    return Row(provider=provider, types=ALL_TYPES, streams=TEXT_TYPES, required=required, endpoint=endpoint,
               upstream=lambda t: "azure", credential=lambda fake, t: fake.key("azure"),
               route=lambda t, model, stream: f"/openai/deployments/{model}" + wire(t, model, stream),
               variant=variant)


def gemini_route(t, model, stream):
    if t == EMBEDDINGS:
        return f"/v1beta/models/{model}:batchEmbedContents"
    return f"/v1beta/models/{model}:" + ("streamGenerateContent" if stream else "generateContent")


def tgi_endpoint(fake, t, model):
    # Chat goes to TGI's Messages API ({hf_server_url}/v1/chat/completions), which the fake
    # serves with its OpenAI routes and keys; /generate names no model, so the URL carries it.
    if t == CHAT:
        return model, {"hf_server_url": fake.url, "hf_api_key": fake.key("openai")}
    return "tgi", {"hf_server_url": f"{fake.url}/tgi/{model}", "hf_api_key": fake.key("tgi")}


def tgi_route(t, model, stream):
    if t == CHAT:
        return "/v1/chat/completions"
    return f"/tgi/{model}/" + ("generate_stream" if stream else "generate")


def serving_model(t, model):
    # The scoring-server wire does not say whether a model embeds: the fake embeds for "embed".
    return model + "-embed" if t == EMBEDDINGS else model


def bedrock_route(t, model, stream):
    if t == EMBEDDINGS:
        return f"/model/{model}/invoke"
    return f"/model/{model}/" + ("converse-stream" if stream else "converse")


def bedrock_model(t, model):
    # The translator picks the embeddings body by model family; Titan is the default.
    return "amazon.titan-embed-" + model if t == EMBEDDINGS else model


VERTEX_PROJECT, VERTEX_LOCATION = "fake-project", "us-central1"


@functools.lru_cache(maxsize=None)
def vertex_credentials(fake_url):
    """The fake's test service account (fakeupstream.VertexServiceAccount), its token_uri on the fake."""
    r = requests.get(fake_url + "/_fake/vertex-service-account", params={"token_uri": fake_url + "/vertex/token"},
                     timeout=30)
    r.raise_for_status()
    return r.text


def vertex_endpoint(fake, t, model):
    # The gateway mints an OAuth token at the fake's token endpoint with this service account;
    # the fake issues fake.key("vertex_ai") as the access token its Vertex routes accept.
    return model, {"vertex_project": VERTEX_PROJECT, "vertex_location": VERTEX_LOCATION,
                   "vertex_api_base": fake.url, "vertex_credentials": vertex_credentials(fake.url)}


def vertex_route(t, model, stream):
    method = "predict" if t == EMBEDDINGS else "streamGenerateContent" if stream else "generateContent"
    return f"/v1/projects/{VERTEX_PROJECT}/locations/{VERTEX_LOCATION}/publishers/google/models/{model}:{method}"


def unservable(provider, types, streams, required, reason, retired=False):
    def never(*_):
        raise AssertionError("unservable row used")

    return Row(provider=provider, types=types, streams=streams, required=required, endpoint=never,
               upstream=never, credential=never, route=never, skip=reason, retired=retired)


def retired(provider, required):
    return unservable(provider, ALL_TYPES, (), required, "retired upstream API", retired=True)


ROWS = [
    openai_compatible("openai", "openai"),
    azure_row("azure-openai", ""),
    azure_row("openai", "azure", variant="azure"),
    azure_row("openai", "azuread", variant="azuread"),
    Row(provider="anthropic", types=TEXT_TYPES, streams=TEXT_TYPES, required=("anthropic_api_key",),
        endpoint=lambda fake, t, model: (model, {"anthropic_api_key": fake.key("anthropic"),
                                                 "anthropic_api_base": fake.url + "/v1"}),
        upstream=lambda t: "anthropic", credential=lambda fake, t: fake.key("anthropic"),
        route=lambda t, model, stream: "/v1/messages"),
    Row(provider="gemini", types=ALL_TYPES, streams=TEXT_TYPES, required=("gemini_api_key",),
        endpoint=lambda fake, t, model: (model, {"gemini_api_key": fake.key("gemini"),
                                                 "gemini_api_base": fake.url + "/v1beta"}),
        upstream=lambda t: "gemini", credential=lambda fake, t: fake.key("gemini"), route=gemini_route),
    Row(provider="cohere", types=ALL_TYPES, streams=TEXT_TYPES, required=("cohere_api_key",),
        endpoint=lambda fake, t, model: (model, {"cohere_api_key": fake.key("cohere"), "cohere_api_base": fake.url}),
        upstream=lambda t: "cohere", credential=lambda fake, t: fake.key("cohere"),
        route=lambda t, model, stream: "/v2/embed" if t == EMBEDDINGS else "/v2/chat"),
    openai_compatible("mistral", "mistral", completions_via_chat=True),
    openai_compatible("togetherai", "togetherai"),
    openai_compatible("ai21labs", "ai21labs", types=TEXT_TYPES, completions_via_chat=True),
    Row(provider="huggingface-text-generation-inference", types=TEXT_TYPES, streams=TEXT_TYPES,
        required=("hf_server_url",), endpoint=tgi_endpoint,
        upstream=lambda t: "openai" if t == CHAT else "tgi",
        credential=lambda fake, t: fake.key("openai" if t == CHAT else "tgi"), route=tgi_route),
    Row(provider="mlflow-model-serving", types=ALL_TYPES, streams=(), required=("model_server_url",),
        endpoint=lambda fake, t, model: ("served-model",
                                         {"model_server_url": f"{fake.url}/serving/{serving_model(t, model)}"}),
        upstream=lambda t: "mlflow-model-serving", credential=lambda fake, t: None,
        route=lambda t, model, stream: f"/serving/{serving_model(t, model)}/invocations", bare_predictions=True),
    Row(provider="litellm", types=ALL_TYPES, streams=TEXT_TYPES, required=(),
        endpoint=lambda fake, t, model: (model, {"litellm_api_key": fake.key("openai"),
                                                 "litellm_api_base": fake.url + "/v1"}),
        upstream=lambda t: "openai", credential=lambda fake, t: fake.key("openai"), route=openai_wire_route("/v1")),
    Row(provider="bedrock", types=ALL_TYPES, streams=TEXT_TYPES, required=("aws_region",),
        endpoint=lambda fake, t, model: (bedrock_model(t, model), {
            "aws_region": "us-east-1", "aws_access_key_id": AWS_KEY_ID, "aws_secret_access_key": AWS_SECRET,
            "bedrock_endpoint_url": fake.url}),
        upstream=lambda t: "bedrock", credential=lambda fake, t: AWS_KEY_ID,
        route=lambda t, model, stream: bedrock_route(t, bedrock_model(t, model), stream)),
    Row(provider="databricks", types=ALL_TYPES, streams=TEXT_TYPES, required=(),
        endpoint=lambda fake, t, model: (model, {"databricks_workspace_url": fake.url,
                                                 "databricks_api_token": fake.key("databricks")}),
        upstream=lambda t: "databricks", credential=lambda fake, t: fake.key("databricks"),
        route=openai_wire_route("/serving-endpoints")),
    Row(provider="vertex_ai", types=ALL_TYPES, streams=TEXT_TYPES, required=("vertex_project",),
        endpoint=vertex_endpoint, upstream=lambda t: "vertex_ai", credential=lambda fake, t: fake.key("vertex_ai"),
        route=vertex_route),
    openai_generic("groq"),
    openai_generic("deepseek"),
    openai_generic("xai"),
    openai_generic("openrouter"),
    openai_generic("ollama", key_required=False),
    retired("mosaicml", ("mosaicml_api_key",)),
    retired("palm", ("palm_api_key",)),
]


def registry(gateway):
    """Provider name → endpoint types, from the gateway's own registry (provider-models)."""
    r = gateway.admin("GET", "/v4/aigateway/provider-models")
    assert r.status_code == 200, r.text
    return {name: set(types) for name, types in r.json()["modelsMap"].items()}


@pytest.fixture(scope="module")
def known(gateway):
    return registry(gateway)


def require(row, known):
    """Skips rows whose provider is not registered yet, or that the fake cannot serve."""
    if row.provider not in known:
        pytest.skip(f"provider {row.provider!r} is not in registry.Default() yet")
    if row.skip:
        pytest.skip(f"translator-tested only: {row.skip}")


def cells(kind):
    """Parametrization over (row, type) cells; kind is "types" or "streams"."""
    return [pytest.param(row, t, id=f"{row.id}-{t.rsplit('/', 1)[-1]}")
            for row in ROWS if not row.retired for t in getattr(row, kind)]


def by_provider(keep=lambda row: True):
    """One parameter per registered provider (config variants are types of one provider)."""
    return [pytest.param(row, id=row.id) for row in ROWS if not row.variant and keep(row)]


def served():
    return by_provider(lambda row: not row.retired)


@pytest.fixture()
def unique(request):
    """An endpoint and model name unique to the test (the shared fixture truncates long ids)."""
    digest = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:10]
    return f"pm-{digest}-{os.getpid() % 10000}"


@pytest.fixture()
def user_key(gateway, unique):
    return gateway.create_user("u-" + unique)[1]


@pytest.fixture()
def deploy_client(gateway, user_key, monkeypatch):
    from mlflow.deployments import get_deploy_client

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", user_key)
    return get_deploy_client(gateway.url)


def create(gateway, fake, row, t, name, model):
    model_name, config = row.endpoint(fake, t, model)
    gateway.create_endpoint(name, t, row.provider, model_name, config)


def upstream_calls(fake, row, t, model, stream=False):
    """The fake's records of this test's calls on the provider's real route."""
    path = row.route(t, model, stream)
    return [r for r in fake.requests() if r["path"] == path and r["provider"] == row.upstream(t)
            and (model in r["path"] or r.get("model", "").endswith(model))]


def assert_upstream_saw_credential(fake, row, t, model, stream=False):
    calls = upstream_calls(fake, row, t, model, stream)
    assert calls, f"no upstream call on {row.route(t, model, stream)}: {[r['path'] for r in fake.requests()][-5:]}"
    want = row.credential(fake, t)
    for call in calls:
        assert call["authorized"] and call["status"] == 200, call
        if want is not None:
            assert call["credential"] == want, call


def assert_usage(usage, completion_text, reported=True):
    """Usage is always present; its counts are the fake's (words) unless the wire has none."""
    assert usage is not None
    if not reported:
        assert [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")] == [None] * 3, usage
        return
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"], usage
    assert usage["completion_tokens"] == len(completion_text.split()), usage


def predict(client, name, t, prompt, inputs=None):
    if t == CHAT:
        body = {"messages": [{"role": "user", "content": prompt}]}
    elif t == COMPLETIONS:
        body = {"prompt": prompt}
    else:
        body = {"input": inputs}
    return client.predict(endpoint=name, inputs=body)


# --- every provider is in the matrix -------------------------------------------------------


def test_matrix_covers_registry(known):
    """A provider added to registry.Default() without a row here fails, so the matrix stays whole."""
    rows = {row.provider: row for row in ROWS if not row.variant}
    assert set(known) <= set(rows), f"providers without a matrix row: {sorted(set(known) - set(rows))}"
    for name, types in known.items():
        assert types == set(rows[name].types), f"{name}: registry types {sorted(types)} vs row {rows[name].types}"


# --- predict with the MLflow client --------------------------------------------------------


@pytest.mark.mlflow
@pytest.mark.parametrize("row,t", cells("types"))
def test_predict(gateway, fake, known, deploy_client, unique, row, t):
    require(row, known)
    model = "m-" + unique
    create(gateway, fake, row, t, unique, model)
    prompt = f"hello from {row.id} über 🙂"
    if t == EMBEDDINGS:
        inputs = ["alpha " + unique, "beta", "gamma ünï"]
        out = predict(deploy_client, unique, t, prompt, inputs)
        assert out["object"] == "list"
        assert [d["index"] for d in out["data"]] == [0, 1, 2]
        for d, text in zip(out["data"], inputs):
            assert d["embedding"] == pytest.approx(embedding(text), abs=1e-6), text
        assert "usage" in out
    else:
        out = predict(deploy_client, unique, t, prompt)
        assert isinstance(out["created"], int) and isinstance(out["model"], str)
        choice = out["choices"][0]
        if t == CHAT:
            assert out["object"] == "chat.completion"
            assert choice["message"]["role"] == "assistant"
            text = choice["message"]["content"]
        else:
            assert out["object"] == "text_completion"
            text = choice["text"]
        assert text == reply(prompt)
        assert choice["finish_reason"] == (None if row.bare_predictions else "stop"), choice
        assert_usage(out["usage"], text, reported=not row.bare_predictions)
    assert_upstream_saw_credential(fake, row, t, model)


# --- streaming: raw MLflow SSE and the openai SDK ------------------------------------------


def sse_chunks(response):
    """Parses a stream as the Databricks client does: every non-blank line is `data: <json>`."""
    chunks = []
    for line in response.iter_lines(decode_unicode=True):
        if not line:
            continue
        assert line.startswith("data: "), line
        assert line != "data: [DONE]", "MLflow framing has no [DONE]"
        chunks.append(json.loads(line[len("data: "):]))
    return chunks


def assert_stream(chunks, object_name, text_of, prompt):
    """Framing-independent stream checks: object, reassembled text, one finish, usage last."""
    assert chunks and all(c["object"] == object_name for c in chunks), chunks
    text = "".join(text_of(c) for c in chunks)
    assert text == reply(prompt)
    finishes = [ch["finish_reason"] for c in chunks for ch in c["choices"] if ch.get("finish_reason")]
    assert finishes == ["stop"], chunks
    with_usage = [i for i, c in enumerate(chunks) if c.get("usage")]
    assert with_usage in ([], [len(chunks) - 1]), f"usage only in the last chunk: {chunks}"
    if with_usage:
        assert_usage(chunks[-1]["usage"], text)


def mlflow_stream(gateway, fake, row, t, key, name, model):
    """Streams `name` over raw HTTP on the MLflow route, asking for usage as MLflow 3.x allows."""
    create(gateway, fake, row, t, name, model)
    prompt = f"stream {row.id} please"
    body = {"messages": [{"role": "user", "content": prompt}]} if t == CHAT else {"prompt": prompt}
    body.update(stream=True, stream_options={"include_usage": True})
    r = requests.post(f"{gateway.url}/endpoints/{name}/invocations", json=body, stream=True, timeout=60,
                      headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/event-stream")
    return prompt, sse_chunks(r)


def mlflow_text(chunk):
    # MLflow puts completions text in delta.content too (spec mlflow-deployments §4.1).
    return "".join(ch["delta"].get("content") or "" for ch in chunk["choices"])


@pytest.mark.parametrize("row,t", cells("streams"))
def test_stream_mlflow_sse(gateway, fake, known, user_key, unique, row, t):
    require(row, known)
    model = "m-" + unique
    prompt, chunks = mlflow_stream(gateway, fake, row, t, user_key, unique, model)
    object_name = "chat.completion.chunk" if t == CHAT else "text_completion_chunk"
    assert_stream(chunks, object_name, mlflow_text, prompt)
    assert all(c["choices"] for c in chunks), "MLflow parsers index choices[0]"
    assert chunks[-1].get("usage"), f"the caller asked for usage: {chunks[-1]}"
    assert_upstream_saw_credential(fake, row, t, model, stream=True)


def sdk_stream(sdk, name, t, prompt, **options):
    """Streams through the openai SDK; returns chunks in assert_stream's shape."""
    if t == CHAT:
        stream = sdk.chat.completions.create(model=name, messages=[{"role": "user", "content": prompt}],
                                             stream=True, **options)
        text_of = lambda ch: ch.delta.content or ""  # noqa: E731
    else:
        stream = sdk.completions.create(model=name, prompt=prompt, stream=True, **options)
        text_of = lambda ch: ch.text or ""  # noqa: E731
    return [{"object": c.object, "text": "".join(text_of(ch) for ch in c.choices),
             "choices": [{"finish_reason": ch.finish_reason} for ch in c.choices],
             "usage": c.usage.model_dump() if c.usage else None} for c in stream]


@pytest.mark.parametrize("row,t", cells("streams"))
def test_stream_openai_sdk(gateway, fake, known, user_key, unique, row, t):
    openai = pytest.importorskip("openai")
    require(row, known)
    model = "m-" + unique
    create(gateway, fake, row, t, unique, model)
    prompt = f"sdk stream {row.id}"
    sdk = openai.OpenAI(base_url=gateway.url + "/v1", api_key=user_key, max_retries=0)
    object_name = "chat.completion.chunk" if t == CHAT else "text_completion"

    chunks = sdk_stream(sdk, unique, t, prompt, stream_options={"include_usage": True})
    assert_stream(chunks, object_name, lambda c: c["text"], prompt)
    assert chunks[-1]["choices"] == [], "the usage chunk carries no choices (OpenAI's include_usage shape)"

    # Without include_usage OpenAI streams carry no usage at all, whatever the provider sends.
    plain = sdk_stream(sdk, unique, t, prompt)
    assert "".join(c["text"] for c in plain) == reply(prompt)
    assert all(c["usage"] is None for c in plain), plain
    assert_upstream_saw_credential(fake, row, t, model, stream=True)


def test_non_streaming_types_refuse_stream(gateway, fake, known, user_key, unique):
    """A (provider, type) outside Spec.Streams answers 400 naming the provider, before any upstream call."""
    row = next(r for r in ROWS if r.provider == "mlflow-model-serving")
    require(row, known)
    model = "m-" + unique
    create(gateway, fake, row, CHAT, unique, model)
    r = requests.post(f"{gateway.url}/endpoints/{unique}/invocations", timeout=60,
                      headers={"Authorization": f"Bearer {user_key}"},
                      json={"messages": [{"role": "user", "content": "x"}], "stream": True})
    assert r.status_code == 400, r.text
    assert "mlflow-model-serving" in r.text
    assert not upstream_calls(fake, row, CHAT, model)


# --- per provider: errors, config keys -----------------------------------------------------


def invoke(gateway, key, name, t):
    body = {"messages": [{"role": "user", "content": "hi"}]} if t == CHAT else \
        {"prompt": "hi"} if t == COMPLETIONS else {"input": ["hi"]}
    return requests.post(f"{gateway.url}/endpoints/{name}/invocations", json=body, timeout=60,
                         headers={"Authorization": f"Bearer {key}"})


def secrets_of(fake, row, t):
    _, config = row.endpoint(fake, t, "x")
    return [v for k, v in config.items() if "key" in k or "secret" in k] + [fake.key(row.upstream(t))]


@pytest.mark.parametrize("row", served())
def test_rejected_credentials_are_502_without_the_credential(gateway, fake, known, user_key, unique, row):
    require(row, known)
    t = row.types[0]
    create(gateway, fake, row, t, unique, "fake-error-401")
    r = invoke(gateway, user_key, unique, t)
    assert r.status_code == 502, r.text
    assert "credentials" in r.text.lower(), r.text
    for secret in secrets_of(fake, row, t):
        assert secret not in r.text and secret not in str(r.headers)


@pytest.mark.parametrize("row", served())
def test_upstream_rate_limit_is_429_with_retry_after(gateway, fake, known, user_key, unique, row):
    require(row, known)
    t = row.types[0]
    create(gateway, fake, row, t, unique, "fake-ratelimit")
    r = invoke(gateway, user_key, unique, t)
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) >= 1, r.headers


def missing_key_cases():
    cases = []
    for row in ROWS:
        if row.variant:
            continue
        for key in row.required:
            cases.append(pytest.param(row, key, id=f"{row.id}-{key}"))
    # Databricks has no single required key; its Validate needs the workspace URL.
    cases.append(pytest.param(next(r for r in ROWS if r.provider == "databricks"), "host", id="databricks-host"))
    return cases


def full_config(fake, row, t):
    if row.retired:
        return {k: "retired-key" for k in row.required}
    if row.provider == "databricks":
        return {"host": fake.url, "token": "dapi-" + "0" * 16}
    if row.provider == "vertex_ai":
        return {"vertex_project": "p", "vertex_location": "us-central1"}
    return row.endpoint(fake, t, "m")[1]


@pytest.mark.parametrize("row,key", missing_key_cases())
def test_create_without_required_key_is_400_naming_it(gateway, fake, known, unique, row, key):
    if row.provider not in known:
        pytest.skip(f"provider {row.provider!r} is not in registry.Default() yet")
    t = row.types[0]
    config = full_config(fake, row, t)
    config.pop(key)
    body = {"endpointName": unique, "endpointType": t, "endpointPermissions": {"isEveryoneAllowed": True, "userIds": []},
            "modelProvider": row.provider, "modelName": "m", "modelConfig": config}
    r = gateway.admin("POST", "/api/aigateway/v1/endpoints", json=body)
    assert r.status_code == 400, r.text
    assert key in r.json()["error"], r.text
    # The complete config is accepted, so the key really was the reason.
    body["modelConfig"][key] = full_config(fake, row, t)[key]
    r = gateway.admin("POST", "/api/aigateway/v1/endpoints", json=body)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("row", by_provider())
def test_provider_configs_lists_exactly_the_required_keys(gateway, known, row):
    if row.provider not in known:
        pytest.skip(f"provider {row.provider!r} is not in registry.Default() yet")
    r = gateway.admin("GET", "/v4/aigateway/provider-configs", params={"modelProvider": row.provider})
    assert r.status_code == 200, r.text
    assert r.json() == list(row.required)


@pytest.mark.parametrize("row", by_provider(lambda row: row.retired))
def test_retired_provider_creates_but_queries_are_400(gateway, fake, known, user_key, unique, row):
    if row.provider not in known:
        pytest.skip(f"provider {row.provider!r} is not in registry.Default() yet")
    for t in row.types:
        name = f"{unique}-{t.rsplit('/', 1)[-1]}"
        gateway.create_endpoint(name, t, row.provider, "m", full_config(fake, row, t))
        r = invoke(gateway, user_key, name, t)
        assert r.status_code == 400, r.text
        assert "retired" in r.text and row.provider in r.text, r.text


# --- the README's matrix is this suite's parametrization -----------------------------------

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def ids(test, rows, t):
    return ", ".join(f"`{test}[{row.id}-{t.rsplit('/', 1)[-1]}]`" for row in rows)


def type_cell(rows, t):
    row = rows[0]
    if t not in row.types:
        return "—"
    if row.retired:
        return f"retired: `test_retired_provider_creates_but_queries_are_400[{row.id}]`"
    if row.skip:
        return f"translator-tested only (`provider/{row.provider.replace('_', '')}`): {row.skip}"
    return ids("test_predict", rows, t)


def stream_cell(rows, t):
    row = rows[0]
    if t not in row.streams:
        return "—"
    if row.skip:
        return "translator-tested only"
    return f"{ids('test_stream_mlflow_sse', rows, t)}; {ids('test_stream_openai_sdk', rows, t)}"


def matrix_lines():
    """The README table: one line per provider, its config variants in the same cells."""
    lines = ["| provider | chat | completions | embeddings | chat streaming | completions streaming |",
             "|---|---|---|---|---|---|"]
    for provider in sorted({row.provider for row in ROWS}):
        rows = [row for row in ROWS if row.provider == provider]
        cells = [type_cell(rows, t) for t in ALL_TYPES] + [stream_cell(rows, t) for t in TEXT_TYPES]
        lines.append(f"| `{provider}` | " + " | ".join(cells) + " |")
    return lines


def test_readme_matrix_is_this_suite():
    """The README names these tests cell by cell; regenerate it with `python test_provider_matrix.py`."""
    with open(README, encoding="utf-8") as f:
        readme = f.read()
    section = readme.split("\n## Provider support matrix\n", 1)
    assert len(section) == 2, "README.md has no Provider support matrix section"
    table = [line for line in section[1].split("\n## ", 1)[0].splitlines() if line.startswith("|")]
    assert table == matrix_lines()


if __name__ == "__main__":
    print("\n".join(matrix_lines()))
