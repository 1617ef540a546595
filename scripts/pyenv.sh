#!/usr/bin/env bash
# Creates (or reuses) the Python virtualenvs holding the real clients the tests drive:
# .venv/mlflow3 (MLflow 3.x, openai, LangChain, openapi-python-client) and .venv/mlflow2
# (MLflow 2.x). A venv is rebuilt only when its requirements file changes.
set -euo pipefail
cd "$(dirname "$0")/.."

ensure_venv_support() {
  python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null && return 0
  echo "pyenv: installing python3-venv" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
}

make_venv() {
  local name=$1 req=$2 dir=.venv/$1
  local want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements-sha" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "pyenv: creating $dir from $req" >&2
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$want" >"$dir/.requirements-sha"
}

ensure_venv_support
make_venv mlflow3 tests/python/requirements-mlflow3.txt &
p3=$!
make_venv mlflow2 tests/python/requirements-mlflow2.txt &
p2=$!
wait $p3
wait $p2
