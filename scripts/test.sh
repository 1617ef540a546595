#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need (Debian packages for
# PostgreSQL, Redis and Chromium, Python virtualenvs with the real clients), starts throwaway servers on
# free loopback ports, runs the Go suites and the Python client suites, and stops the servers.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-}"

scripts/hygiene.sh

# shellcheck source=scripts/services.sh
source scripts/services.sh
scripts/pyenv.sh
services_start
trap services_stop EXIT

echo "== build" >&2
mkdir -p bin
go build -o bin/llmgate ./cmd/llmgate
go build -o bin/fakeupstream ./cmd/fakeupstream
go vet ./...

echo "== go test" >&2
# End-to-end tests start these binaries instead of building their own.
export LLMGATE_BIN="$PWD/bin/llmgate" FAKEUPSTREAM_BIN="$PWD/bin/fakeupstream"
# The console's browser tests run the code snippets it shows with the real clients.
export LLMGATE_TEST_PYTHON="$PWD/.venv/mlflow3/bin/python"
go test -count=1 -timeout 20m ./...

echo "== python client tests (MLflow 2.x)" >&2
.venv/mlflow2/bin/python -m pytest -q -p no:cacheprovider -m mlflow tests/python/test_mlflow_deployments.py

echo "== python client tests on PostgreSQL (MLflow 3.x, openai, LangChain, generated Domino client)" >&2
"$LLMGATE_TEST_PG_BIN/psql" -q "$LLMGATE_TEST_DATABASE_URL" -c "CREATE DATABASE llmgate_py"
LLMGATE_PY_DATABASE_URL="${LLMGATE_TEST_DATABASE_URL/\/llmgate_test/\/llmgate_py}" \
  .venv/mlflow3/bin/python -m pytest -q -p no:cacheprovider tests/python

echo "== python client tests on SQLite (MLflow 3.x, openai, LangChain, generated Domino client)" >&2
.venv/mlflow3/bin/python -m pytest -q -p no:cacheprovider tests/python
