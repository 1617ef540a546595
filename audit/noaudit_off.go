//go:build !llmgate_noaudit

package audit

// skipAppend is false in every real build: each event is appended and durable before Write
// returns. See noaudit_on.go for the measuring build.
const skipAppend = false
