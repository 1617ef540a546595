#!/usr/bin/env bash
# Soaks `llmgate serve` against the fake upstream (cmd/llmbench -soak): 32 callers for SOAK
# (default 10m) with a mix of normal, faulty (5xx, 429, dropped connection, stream cut
# mid-way, malformed JSON) and oversized upstream answers, sampling the gateway's RSS every
# second; fails if it passes SOAK_MAX_RSS MiB (default 200). Prints max/median RSS and the
# calls by scenario and status. Extra arguments go to llmbench (e.g. -soak-callers 8).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
go build -o bin/llmgate ./cmd/llmgate
go build -o bin/fakeupstream ./cmd/fakeupstream
go build -o bin/llmbench ./cmd/llmbench
exec bin/llmbench -llmgate bin/llmgate -fakeupstream bin/fakeupstream \
	-soak "${SOAK:-10m}" -soak-max-rss "${SOAK_MAX_RSS:-200}" "$@"
