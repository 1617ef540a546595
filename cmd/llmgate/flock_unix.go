//go:build unix

package main

import (
	"os"
	"syscall"
)

// tryLock takes f's lock without waiting: exclusive for the owner, shared to probe.
func tryLock(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	return syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
}
