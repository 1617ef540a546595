"""LangChain's MLflow classes (langchain-community) and ChatOpenAI against llmgate (docs/contract/mlflow-deployments.md §9 items 35, 38-40).

Assumes the fake upstream fixture exposes `url`, `api_key` and `requests()`.
"""
import os

import pytest

os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"


def openai_endpoint(gateway, fake, name, endpoint_type, model="gpt-4o-mini"):
    config = {"openai_api_key": fake.api_key, "openai_api_base": fake.url + "/v1"}
    return gateway.create_endpoint(name, endpoint_type, "openai", model, config)


@pytest.fixture()
def user_key(gateway, unique, monkeypatch):
    _, key = gateway.create_user("u-" + unique)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", key)
    return key


def test_chat_mlflow_invoke_and_stream(gateway, fake, unique, user_key):
    from langchain_community.chat_models import ChatMlflow

    openai_endpoint(gateway, fake, unique, "llm/v1/chat")
    llm = ChatMlflow(target_uri=gateway.url, endpoint=unique)
    assert isinstance(llm.invoke("hi").content, str)
    body = [r for r in fake.requests() if r.get("model") == "gpt-4o-mini"][-1]["body"]
    assert body["messages"][-1]["content"] == "hi" and body["temperature"] == 0.0 and body["n"] == 1
    assert "max_tokens" not in body
    # The stock http(s) deployments client cannot stream (docs/contract/mlflow-deployments.md §4.2): with the pinned
    # langchain-community, ChatMlflow.stream fails client-side and no request reaches llmgate.
    before = len(fake.requests())
    with pytest.raises(NotImplementedError):
        list(llm.stream("hi"))
    assert len(fake.requests()) == before


def test_mlflow_llm_and_embeddings(gateway, fake, unique, user_key):
    from langchain_community.embeddings import MlflowEmbeddings
    from langchain_community.llms import Mlflow

    openai_endpoint(gateway, fake, unique + "-t", "llm/v1/completions")
    openai_endpoint(gateway, fake, unique + "-e", "llm/v1/embeddings", model="text-embedding-3-small")
    assert isinstance(Mlflow(target_uri=gateway.url, endpoint=unique + "-t").invoke("hi"), str)

    before = len(fake.requests())
    emb = MlflowEmbeddings(target_uri=gateway.url, endpoint=unique + "-e")
    vectors = emb.embed_documents([f"text {i}" for i in range(45)])
    assert len(vectors) == 45
    batches = [len(r["body"]["input"]) for r in fake.requests()[before:]]
    assert batches == [20, 20, 5]
    assert len(emb.embed_query("q")) == len(vectors[0])


def test_chat_openai_against_v1(gateway, fake, unique, user_key):
    from langchain_openai import ChatOpenAI

    openai_endpoint(gateway, fake, unique, "llm/v1/chat")
    llm = ChatOpenAI(base_url=gateway.url + "/v1", api_key=user_key, model=unique, max_retries=0)
    assert isinstance(llm.invoke("hi").content, str)
    assert "".join(c.content for c in llm.stream("hi"))
