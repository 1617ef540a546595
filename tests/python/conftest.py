"""Fixtures shared by the client suites: a started fake upstream and a started llmgate."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


@pytest.fixture(scope="session")
def fake():
    """The fake upstream speaking every provider's wire format, on a free loopback port."""
    f = harness.FakeUpstream()
    yield f
    f.stop()


@pytest.fixture(scope="session")
def gateway():
    """One llmgate for the session; tests create their own users and uniquely named endpoints."""
    g = harness.Gateway()
    yield g
    g.stop()


@pytest.fixture()
def unique(request):
    """A short name unique to the test, for endpoints and users."""
    name = request.node.name.replace("[", "-").replace("]", "").replace("_", "-")[:40]
    return f"{name}-{os.getpid() % 10000}"
