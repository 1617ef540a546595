# llmgate — every target does its own set-up, so each works on a fresh machine.
.PHONY: run test test-go build bench bench-peers bench-console bench-audit bench-scale fmt fuzz fuzz-seeds soak

build:
	mkdir -p bin
	go build -o bin/llmgate ./cmd/llmgate
	go build -o bin/fakeupstream ./cmd/fakeupstream

# Runs the gateway on its embedded defaults (SQLite and keys in ./llmgate-data).
run:
	go run ./cmd/llmgate serve

# Every test: installs PostgreSQL, Redis, Chromium and the Python clients if missing, starts throwaway
# servers, runs the Go and Python suites.
test:
	scripts/test.sh

# Go tests only, against already running services (LLMGATE_TEST_DATABASE_URL/REDIS_URL).
test-go:
	go test ./...

bench: build
	scripts/bench.sh

# The same load in the same run against LiteLLM's proxy and MLflow's gateway too (installed from
# PyPI into .venv/peers on first use; needs Python 3), with the table of ratios and a Peers
# section in docs/benchmarks.md. Plain `make bench` needs no Python.
bench-peers: build
	scripts/bench-peers.sh

# The audit chain's ceiling on PostgreSQL: three replicas' group-commit writers, 32 callers
# each, on one chain and on a chain each, in the same run (needs LLMGATE_TEST_DATABASE_URL; the
# test database of scripts/services.sh runs with fsync off, so point it at one with fsync on).
bench-audit:
	go test -tags scale -count=1 -v -run TestAuditCeilingWithThreeReplicas ./store/postgres/

# Start-up time and RSS with 10,000 endpoints, 100,000 users and 100,000 API keys (seeded through the
# admin operations; takes a few minutes), and that an admin change is seen at once; PASS/FAIL against
# start-up ≤ 2 s, RSS ≤ 60 MiB and CPU per query within 1.10× that of a gateway beside it holding only its callers.
# SCALE_SOAK=20m adds a soak at steady load (SCALE_SOAK_RPS, 100/s) that passes when RSS stays
# within ±5 %; SCALE_DIR=dir keeps the seeded data for the next run.
bench-scale: build
	LLMGATE_BIN=$(CURDIR)/bin/llmgate FAKEUPSTREAM_BIN=$(CURDIR)/bin/fakeupstream go test -tags scale -count=1 -v -timeout 60m -run TestStartAndMemoryAtConfigurationScale ./e2e/

# Console page load times with 10,000 endpoints and 1,000,000 audit events (server and browser
# time, headless Chromium). Installs Chromium when missing.
bench-console: build
	bash -c 'source scripts/services.sh && services_install'
	LLMGATE_BIN=$(CURDIR)/bin/llmgate go test -tags scale -count=1 -v -timeout 30m -run TestConsolePageTimesAtScale ./e2e/

# Soak: 32 callers, mixed normal/faulty/oversized upstream answers for SOAK (default 10m,
# e.g. SOAK=60s); fails if the gateway's RSS passes SOAK_MAX_RSS MiB (200).
soak:
	scripts/soak.sh

# Fuzzes every Go fuzz target for FUZZTIME each (default 10m); see scripts/fuzz.sh for knobs.
fuzz:
	FUZZTIME=$(or $(FUZZTIME),10m) scripts/fuzz.sh

# Rewrites the provider fuzz seeds (testdata/fuzz/*/wire-*) from the fake upstream's answers.
fuzz-seeds:
	go run ./internal/fuzzseeds

fmt:
	gofmt -w $$(git ls-files '*.go')
