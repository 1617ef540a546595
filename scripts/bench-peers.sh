#!/usr/bin/env bash
# `make bench-peers`: the benchmark of `make bench` with LiteLLM's proxy and MLflow's gateway
# measured in the same run, beside llmgate and the bare proxy, and a Peers section in
# docs/benchmarks.md. Installs them from PyPI into their own virtualenv, .venv/peers (rebuilt
# only when scripts/peers-requirements.txt changes). `make bench-peers` builds bin/llmgate and
# bin/fakeupstream first. Same knobs as scripts/bench.sh (LLMBENCH_DURATION, LLMBENCH_WARMUP,
# LLMBENCH_CONCURRENCY, flags), plus LLMBENCH_PEER_TIMEOUT for the peers' start-up (180s) and
# LLMBENCH_PEER_WORKERS for their worker processes (default: theirs, LiteLLM 1, MLflow 2).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv/peers
req=scripts/peers-requirements.txt
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$venv/bin/litellm" ] || [ ! -x "$venv/bin/mlflow" ] || [ "$(cat "$venv/.requirements-sha" 2>/dev/null)" != "$want" ]; then
  python=$(command -v python3.11 || command -v python3)
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    echo "bench-peers: installing python3-venv" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
  fi
  echo "bench-peers: creating $venv from $req (a few minutes)" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$want" >"$venv/.requirements-sha"
fi

# The same run as `make bench` (scripts/bench.sh), with the peers.
LLMBENCH_PEERS="$venv" exec scripts/bench.sh "$@"
