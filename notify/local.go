// Package notify carries "state changed" signals between llmgate processes so a change made
// elsewhere reaches this process's snapshot at once instead of at the next periodic check.
//
// Local notifications use a Unix socket in the data directory: the admin CLI, after
// committing to the shared SQLite file, pings the running server, which reloads before it
// answers — so the CLI returns only once the change is live.
package notify

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"time"
)

// SocketName is the socket file created in the data directory by `llmgate serve`.
const SocketName = "llmgate.sock"

// SocketPath returns the socket path for a data directory.
func SocketPath(dataDir string) string { return filepath.Join(dataDir, SocketName) }

// ListenLocal serves reload pings on path until ctx ends. onPing runs synchronously before
// the ping is acknowledged.
func ListenLocal(ctx context.Context, path string, onPing func(context.Context)) error {
	_ = os.Remove(path) // a stale socket from a crashed server
	ln, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return err
	}
	go func() {
		<-ctx.Done()
		ln.Close()
		os.Remove(path)
	}()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(ctx, conn, onPing)
		}
	}()
	return nil
}

func serve(ctx context.Context, conn net.Conn, onPing func(context.Context)) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "reload\n" {
		return
	}
	onPing(ctx)
	_, _ = conn.Write([]byte("ok\n"))
}

// PingLocal asks a server listening on path to reload and waits for it to confirm. No server
// running is not an error: there is nothing to notify.
func PingLocal(path string, timeout time.Duration) error {
	conn, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || isRefused(err) {
			return nil
		}
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte("reload\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ok\n" {
		return errors.New("unexpected answer from server")
	}
	return nil
}

func isRefused(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) {
		var se *os.SyscallError
		if errors.As(op.Err, &se) {
			return se.Syscall == "connect"
		}
	}
	return false
}
