#!/usr/bin/env bash
# Runs every native Go fuzz target (func Fuzz* in a _test.go file) for a bounded time each and
# prints, per target, how long it ran, how many inputs it executed and whether it crashed.
# `go test ./...` only replays the committed seeds; this explores beyond them.
#
#   FUZZTIME      time per target (default 10m; any `go test -fuzztime` value, e.g. 30s)
#   FUZZPARALLEL  workers per target (default 1: the machine is shared)
#   FUZZJOBS      targets fuzzed at the same time (default 1)
#   FUZZLOG       directory for each target's full output (default /tmp/llmgate-fuzz)
#   FUZZMATCH     only targets whose "package.Name" matches this grep -E pattern
#
# A crasher is written by `go test` to <package>/testdata/fuzz/<Target>/ (commit it with the
# fix, so the seeds replay it forever). Exits non-zero if any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10m}
FUZZPARALLEL=${FUZZPARALLEL:-1}
FUZZJOBS=${FUZZJOBS:-1}
FUZZLOG=${FUZZLOG:-/tmp/llmgate-fuzz}
FUZZMATCH=${FUZZMATCH:-.}
mkdir -p "$FUZZLOG"

# Every target as "./pkg Name", found in the source so a new target is fuzzed without edits.
targets=$(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . |
	while read -r file; do
		pkg=./$(dirname "${file#./}")
		grep -oE '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' |
			while read -r name; do echo "$pkg $name"; done
	done | sort | grep -E -- "$FUZZMATCH" || true)
if [ -z "$targets" ]; then
	echo "no fuzz targets match $FUZZMATCH" >&2
	exit 1
fi
echo "fuzzing $(echo "$targets" | wc -l) targets for $FUZZTIME each ($FUZZJOBS at a time, $FUZZPARALLEL workers each); logs in $FUZZLOG"

run_one() {
	local pkg=$1 name=$2 log
	log="$FUZZLOG/$(echo "${pkg#./}" | tr / _).$name.log"
	local start=$SECONDS status=ok
	go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" -parallel "$FUZZPARALLEL" "$pkg" >"$log" 2>&1 || status=FAILED
	local last execs
	last=$(grep -E '^fuzz: elapsed: .*execs: [0-9]+' "$log" | tail -1 || true)
	execs=$(echo "$last" | sed -nE 's/.*execs: ([0-9]+).*/\1/p')
	printf '%-28s %-24s %6ss  execs %-12s %s\n' "$pkg" "$name" "$((SECONDS - start))" "${execs:-0}" "$status"
	if [ "$status" != ok ]; then
		grep -E -- '--- FAIL|panic:|Failing input written to|To re-run' "$log" | head -5 | sed 's/^/    /'
		return 1
	fi
}
export -f run_one
export FUZZTIME FUZZPARALLEL FUZZLOG

echo "$targets" | xargs -P "$FUZZJOBS" -L 1 bash -c 'run_one "$0" "$1"'
