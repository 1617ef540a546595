package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the headless browser for console tests: $LLMGATE_CHROMIUM, else Debian's
// `chromium` on PATH (the test command installs it). Missing: skipped by hand, failed on CI.
func Chromium(t testing.TB) string {
	t.Helper()
	return tool(t, "LLMGATE_CHROMIUM", "chromium", "chromium-browser")
}

// Python returns the interpreter of the virtualenv with the real clients (MLflow, openai,
// LangChain): $LLMGATE_TEST_PYTHON, which the test command sets. Missing: skipped by hand,
// failed on CI.
func Python(t testing.TB) string {
	t.Helper()
	return tool(t, "LLMGATE_TEST_PYTHON")
}

func tool(t testing.TB, env string, names ...string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return Require(t, env)
}
