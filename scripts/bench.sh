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
# Three runs, medians reported (LLMBENCH_RUNS), 5 s phases after 1 s of warm-up by default.
export LLMBENCH_RUNS="${LLMBENCH_RUNS:-3}" LLMBENCH_DURATION="${LLMBENCH_DURATION:-5s}" LLMBENCH_WARMUP="${LLMBENCH_WARMUP:-1s}"
exec bin/llmbench -llmgate bin/llmgate -llmgate-noaudit bin/llmgate-noaudit -fakeupstream bin/fakeupstream -doc "${LLMBENCH_DOC:-docs/benchmarks.md}" "$@"
