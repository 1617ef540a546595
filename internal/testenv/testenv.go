// Package testenv reads the addresses of the real services tests run against (PostgreSQL,
// Redis) from the environment the test command sets. Run by hand without them, a test that
// needs one is skipped; with CI=true a missing service fails it, so CI never passes by
// leaving a backend out.
package testenv

import (
	"os"
	"testing"
)

// OnCI reports whether the tests run under CI (CI=true).
func OnCI() bool { return os.Getenv("CI") == "true" }

// Require returns the environment variable name, skipping t when it is unset, or failing it
// on CI.
func Require(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if OnCI() {
			t.Fatalf("%s is not set (required on CI)", name)
		}
		t.Skipf("%s is not set", name)
	}
	return v
}
