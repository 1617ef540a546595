//go:build !unix

package main

import "os"

// tryLock is a no-op where flock(2) does not exist: one server per data directory is then
// the operator's responsibility.
func tryLock(*os.File, bool) error { return nil }
