#!/usr/bin/env bash
# Benchmarks llmgate against the fake upstream on loopback (cmd/llmbench): throughput,
# latency percentiles, added latency, streaming time to first byte and memory.
# `make bench` builds bin/llmgate and bin/fakeupstream first. Tune with LLMBENCH_DURATION,
# LLMBENCH_WARMUP and LLMBENCH_CONCURRENCY (e.g. LLMBENCH_CONCURRENCY=8,32), or pass flags.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
go build -o bin/llmbench ./cmd/llmbench
# The same gateway without audit appends, measured beside it for the audit's share of CPU.
go build -tags llmgate_noaudit -o bin/llmgate-noaudit ./cmd/llmgate
exec bin/llmbench -llmgate bin/llmgate -llmgate-noaudit bin/llmgate-noaudit -fakeupstream bin/fakeupstream -doc "${LLMBENCH_DOC:-docs/benchmarks.md}" "$@"
