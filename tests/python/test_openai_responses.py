"""The official openai SDK's Responses API (client.responses.create) against llmgate's
/v1/responses, reaching chat endpoints of every provider through the fake upstream.

Endpoints are built as the provider matrix builds them (test_provider_matrix.ROWS); answers are
the fake's exact text ("echo: " + the last user text) and word-count usage.
"""
import json

import openai
import pytest
import requests

from test_provider_matrix import CHAT, ROWS, assert_upstream_saw_credential, create, reply


def chat_rows(kind="types"):
    return [pytest.param(row, id=row.id) for row in ROWS
            if not row.retired and not row.skip and CHAT in getattr(row, kind)]


def sdk(gateway, key):
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)


@pytest.fixture()
def key(gateway, unique):
    return gateway.create_user("u-" + unique)[1]


def openai_endpoint(gateway, fake, name, model="gpt-4o-mini", **extra):
    config = {"openai_api_key": fake.key("openai"), "openai_api_base": fake.url + "/v1"}
    return gateway.create_endpoint(name, CHAT, "openai", model, config, **extra)


def access_events(gateway, name):
    return [ev for ev in gateway.audit(endpointNames=name) if ev["eventKind"] == "AccessGatewayEndpoint"]


@pytest.mark.parametrize("row", chat_rows())
def test_responses_create(gateway, fake, key, unique, row):
    model = "m-" + unique
    create(gateway, fake, row, CHAT, unique, model)
    prompt = "responses sdk says hello"
    # MLflow serving's chat models take a single message, so that row goes without instructions.
    instructions = {} if row.bare_predictions else {"instructions": "Be brief."}
    r = sdk(gateway, key).responses.create(model=unique, input=prompt, max_output_tokens=256, **instructions)
    assert r.object == "response" and r.id.startswith("resp_") and r.status == "completed"
    assert r.output_text == reply(prompt)
    assert [o.type for o in r.output] == ["message"] and r.output[0].role == "assistant"
    if not row.bare_predictions:
        assert r.usage.output_tokens == len(reply(prompt).split()), r.usage
        assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens
    assert_upstream_saw_credential(fake, row, CHAT, model)
    ev = access_events(gateway, unique)[0]["metadata"]
    assert ev["api"] == "responses" and ev["outcome"] == "success", ev


@pytest.mark.parametrize("row", chat_rows("streams"))
def test_responses_stream(gateway, fake, key, unique, row):
    model = "m-" + unique
    create(gateway, fake, row, CHAT, unique, model)
    prompt = "responses stream says hello please"
    events = list(sdk(gateway, key).responses.create(model=unique, input=prompt, stream=True))
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"], kinds
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"], kinds
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == reply(prompt)
    final = events[-1].response
    assert final.status == "completed" and final.output_text == reply(prompt)
    assert final.usage.output_tokens == len(reply(prompt).split()), final.usage
    assert_upstream_saw_credential(fake, row, CHAT, model, stream=True)
    ev = access_events(gateway, unique)[0]["metadata"]
    assert ev["api"] == "responses" and ev["stream"] == "true" and ev["outcome"] == "success", ev


TOOLS = [{"type": "function", "name": "get_weather", "description": "The weather in a city",
          "parameters": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}]


def anthropic_endpoint(gateway, fake, name):
    config = {"anthropic_api_key": fake.key("anthropic"), "anthropic_api_base": fake.url + "/v1"}
    return gateway.create_endpoint(name, CHAT, "anthropic", "claude-3-5-haiku-20241022", config)


def test_function_tools_round_trip(gateway, fake, key, unique):
    """function_call out, function_call_output back, text answer (the fake's Anthropic wire runs tools)."""
    anthropic_endpoint(gateway, fake, unique)
    c = sdk(gateway, key)
    question = {"role": "user", "content": "weather in Paris"}
    first = c.responses.create(model=unique, input=[question], tools=TOOLS, tool_choice="required")
    call = next(o for o in first.output if o.type == "function_call")
    assert call.name == "get_weather" and json.loads(call.arguments) == {"text": "weather in Paris"}
    second = c.responses.create(model=unique, tools=TOOLS, input=[
        question, {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}])
    assert second.status == "completed" and second.output_text

    events = list(c.responses.create(model=unique, input=[question], tools=TOOLS, stream=True,
                                     tool_choice={"type": "function", "name": "get_weather"}))
    kinds = [e.type for e in events]
    assert "response.function_call_arguments.delta" in kinds and kinds[-1] == "response.completed", kinds
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert json.loads(done.arguments) == {"text": "weather in Paris"}
    final = events[-1].response
    assert [o.type for o in final.output] == ["function_call"] and final.output[0].arguments == done.arguments


def test_function_items_reach_openai_wire(gateway, fake, key, unique):
    openai_endpoint(gateway, fake, unique)
    prompt = "after the call " + unique
    r = sdk(gateway, key).responses.create(model=unique, tools=TOOLS, instructions="Be brief.", input=[
        {"role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"text":"Paris"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        {"role": "user", "content": prompt}], max_output_tokens=99)
    assert r.output_text == reply(prompt)
    body = next(rec["body"] for rec in fake.requests() if rec["path"] == "/v1/chat/completions"
                and prompt in str(rec["body"]))
    assert body["max_tokens"] == 99
    assert body["tools"] == [{"type": "function", "function": {
        "name": "get_weather", "description": "The weather in a city", "parameters": TOOLS[0]["parameters"]}}]
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"text":"Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}, {"role": "user", "content": prompt}]


def test_errors(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique)
    openai_endpoint(gateway, fake, unique + "-denied", everyone=False)
    c = sdk(gateway, key)
    with pytest.raises(openai.BadRequestError) as e:
        c.responses.create(model=unique, input="x", previous_response_id="resp_123")
    assert e.value.param == "previous_response_id" and "does not store responses" in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        c.responses.create(model=unique, input="x", tools=[{"type": "web_search"}])
    assert e.value.param == "tools[0].type"
    with pytest.raises(openai.BadRequestError) as e:
        c.responses.create(model=unique, input="x", temperature=3)
    assert e.value.param == "temperature"
    with pytest.raises(openai.BadRequestError) as e:
        c.responses.create(model="missing-" + unique, input="x")
    assert e.value.code == "model_not_found"
    with pytest.raises(openai.PermissionDeniedError):
        c.responses.create(model=unique + "-denied", input="x")
    with pytest.raises(openai.AuthenticationError):
        sdk(gateway, "lgk_wrong_key_000000000").responses.create(model=unique, input="x")
    r = requests.post(gateway.url + "/v1/responses", data=b'{"model": 5', timeout=30,
                      headers={"Authorization": f"Bearer {key}", "content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error", r.text


def test_rate_limited_and_over_budget(gateway, fake, unique):
    _, key = gateway.create_user("u-" + unique)
    openai_endpoint(gateway, fake, unique, rateLimits={"callsPerMinute": {"perUser": 1}})
    openai_endpoint(gateway, fake, unique + "-budget", rateLimits={"tokensPerMinute": {"perUser": 5}})
    c = sdk(gateway, key)
    c.responses.create(model=unique, input="x")
    with pytest.raises(openai.RateLimitError) as e:
        c.responses.create(model=unique, input="x")
    assert int(e.value.response.headers["retry-after"]) >= 1
    c.responses.create(model=unique + "-budget", input="one two three")
    with pytest.raises(openai.RateLimitError) as e:
        c.responses.create(model=unique + "-budget", input="x")
    assert "tokens" in e.value.message
    for name in (unique, unique + "-budget"):
        outcomes = [ev["metadata"]["outcome"] for ev in access_events(gateway, name)]
        assert sorted(outcomes) == ["rate_limited", "success"], outcomes
        assert all(ev["metadata"]["api"] == "responses" for ev in access_events(gateway, name))


def test_broken_stream_ends_with_response_failed(gateway, fake, key, unique):
    openai_endpoint(gateway, fake, unique, model="fake-drop")
    events = list(sdk(gateway, key).responses.create(model=unique, input="a b c d", stream=True))
    assert events[-2].type == "error" and events[-1].type == "response.failed", [e.type for e in events]
    assert events[-1].response.status == "failed" and events[-1].response.error.message
    assert access_events(gateway, unique)[0]["metadata"]["outcome"] == "upstream_error"
