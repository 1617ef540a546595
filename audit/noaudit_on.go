//go:build llmgate_noaudit

package audit

// skipAppend makes Write return at once without appending anything. Only the benchmark's
// second binary is built with the llmgate_noaudit tag (scripts/bench.sh builds
// bin/llmgate-noaudit), to measure what the durable audit trail costs per request by
// difference in the same run (issue 13 target 2). A gateway built this way keeps no audit
// trail: never ship it.
const skipAppend = true
