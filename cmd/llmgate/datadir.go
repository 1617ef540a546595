package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/secrets/local"
)

// Data directory ownership (README.md, "Commands and settings"): one `serve` per data directory, held with an
// OS file lock that names its pid; admin commands find the directory the way serve does and
// never create a database as a side effect of a typo or a wrong working directory.

const (
	lockFileName = "llmgate.lock"
	dbFileName   = "llmgate.db"
)

// dataDirNeeded reports whether anything llmgate keeps lives in the data directory. With
// PostgreSQL, Vault and keys from the environment nothing does, and no directory is created.
func (s *settings) dataDirNeeded() bool {
	a := &s.Audit
	if a.CheckpointInterval > 0 && (a.CheckpointFile == "" || a.CheckpointKey == "") {
		return true // signed audit checkpoints default to files in the data directory
	}
	switch {
	case s.DatabaseURL == "":
		return true
	case s.Secrets == "local":
		return os.Getenv("LLMGATE_MASTER_KEY") == ""
	default: // vault: the audit chain key is a file unless it comes from the environment
		return os.Getenv("LLMGATE_AUDIT_KEY") == "" && s.Audit.KeyFile == ""
	}
}

// owner is a serve's hold on its data directory.
type owner struct {
	lock       *dirLock
	unregister func()
}

func (o *owner) release() {
	if o == nil {
		return
	}
	o.unregister()
	o.lock.release()
}

// claimDataDir creates the data directory when needed and takes its lock (also when it exists
// without being needed: admin commands reach the server through it), so a second serve on it
// stops before touching anything and says which process holds it.
func claimDataDir(s *settings) (*owner, error) {
	if s.dataDirNeeded() {
		if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("creating data directory: %w", err)
		}
	} else if !exists(s.DataDir) {
		return nil, nil
	}
	l, err := lockDataDir(s.DataDir)
	if err != nil {
		if !s.dataDirNeeded() && (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) {
			return nil, nil // an unused, read-only directory (e.g. the image's /data without a volume)
		}
		return nil, err
	}
	return &owner{lock: l, unregister: register(s.DataDir)}, nil
}

// dirLock is an exclusive OS lock on <data-dir>/llmgate.lock, released by the OS when the
// process ends however it ends; the file holds the owner's pid for the message.
type dirLock struct{ f *os.File }

func lockDataDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := tryLock(f, true); err != nil {
		f.Close()
		abs, _ := filepath.Abs(dir)
		if pid := lockHolder(dir); pid > 0 {
			return nil, fmt.Errorf("data directory %s is in use by another llmgate serve (pid %d); stop it or pass another --data-dir", abs, pid)
		}
		return nil, fmt.Errorf("data directory %s is locked by another process: %w", abs, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &dirLock{f: f}, nil
}

func (l *dirLock) release() {
	_ = l.f.Truncate(0)
	l.f.Close()
}

// lockHolder returns the pid of the serve holding dir's lock, or 0 when none does.
func lockHolder(dir string) int {
	f, err := os.Open(filepath.Join(dir, lockFileName))
	if err != nil {
		return 0
	}
	defer f.Close()
	if tryLock(f, false) == nil {
		return 0 // we could lock it: nobody holds it
	}
	raw, _ := io.ReadAll(io.LimitReader(f, 32))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	if pid <= 0 {
		pid = -1 // held, owner unknown
	}
	return pid
}

// The registry lets admin commands find a running server's data directory from anywhere:
// one file per serve, named by pid, holding the directory's absolute path.
func registryDir() string {
	return filepath.Join(os.TempDir(), "llmgate-"+strconv.Itoa(os.Getuid()))
}

func register(dataDir string) func() {
	abs, err := filepath.Abs(dataDir)
	dir := registryDir()
	if err != nil || os.MkdirAll(dir, 0o700) != nil {
		return func() {}
	}
	path := filepath.Join(dir, strconv.Itoa(os.Getpid()))
	if os.WriteFile(path, []byte(abs+"\n"), 0o600) != nil {
		return func() {}
	}
	return func() { os.Remove(path) }
}

// runningServer is a serve found in the registry.
type runningServer struct {
	pid     int
	dataDir string
}

// runningServers lists the serves of this user whose data directory lock is held; stale
// entries (a crashed server) are removed.
func runningServers() []runningServer {
	entries, err := os.ReadDir(registryDir())
	if err != nil {
		return nil
	}
	var out []runningServer
	for _, e := range entries {
		path := filepath.Join(registryDir(), e.Name())
		raw, err := os.ReadFile(path)
		pid, perr := strconv.Atoi(e.Name())
		if err != nil || perr != nil {
			continue
		}
		dir := strings.TrimSpace(string(raw))
		if lockHolder(dir) != pid {
			os.Remove(path)
			continue
		}
		out = append(out, runningServer{pid: pid, dataDir: dir})
	}
	return out
}

// resolveDataDir picks an admin command's data directory as serve would: the flag or
// LLMGATE_DATA_DIR when given; else ./llmgate-data when it holds llmgate's files; else the
// data directory of the one running server. Several running servers are an error naming them.
func resolveDataDir(s *settings, explicit bool, note io.Writer) error {
	if explicit || hasLlmgateFiles(s.DataDir) {
		return nil
	}
	servers := runningServers()
	switch len(servers) {
	case 0:
		return nil
	case 1:
		fmt.Fprintf(note, "using the data directory of the running llmgate serve (pid %d): %s\n", servers[0].pid, servers[0].dataDir)
		s.DataDir = servers[0].dataDir
		return nil
	}
	var list []string
	for _, r := range servers {
		list = append(list, fmt.Sprintf("  --data-dir %s   (pid %d)", r.dataDir, r.pid))
	}
	return gateway.Errorf(gateway.CodeInvalid, "several llmgate servers are running; say which with --data-dir or LLMGATE_DATA_DIR:\n%s", strings.Join(list, "\n"))
}

func hasLlmgateFiles(dir string) bool {
	for _, name := range []string{dbFileName, local.KeyFileName, lockFileName} {
		if exists(filepath.Join(dir, name)) {
			return true
		}
	}
	return false
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// requireExisting refuses, unless init, to run an admin command that would create a new
// database or master key: that is almost always the wrong directory.
func requireExisting(s *settings, init bool) error {
	if init {
		return nil
	}
	abs, _ := filepath.Abs(s.DataDir)
	hint := "pass the server's --data-dir (or LLMGATE_DATA_DIR), or --init to create a new one there"
	if s.DatabaseURL == "" && !exists(filepath.Join(s.DataDir, dbFileName)) {
		return gateway.Errorf(gateway.CodeInvalid, "no llmgate database in %s; %s", abs, hint)
	}
	if s.Secrets == "local" && os.Getenv("LLMGATE_MASTER_KEY") == "" && !exists(filepath.Join(s.DataDir, local.KeyFileName)) {
		return gateway.Errorf(gateway.CodeInvalid, "no master key (%s) in %s; %s", local.KeyFileName, abs, hint)
	}
	return nil
}

// undoCreated remembers which of the data directory's files do not exist yet; calling the
// returned function removes the ones created since, so a failed command leaves nothing.
func undoCreated(s *settings) func() {
	paths := []string{s.DataDir}
	for _, name := range []string{dbFileName, dbFileName + "-wal", dbFileName + "-shm", dbFileName + "-journal", local.KeyFileName} {
		paths = append(paths, filepath.Join(s.DataDir, name))
	}
	paths = append(paths, s.Audit.keyFile(s.DataDir))
	var missing []string
	for _, p := range paths {
		if !exists(p) {
			missing = append(missing, p)
		}
	}
	return func() {
		for i := len(missing) - 1; i >= 0; i-- { // files first, the directory last
			if err := os.Remove(missing[i]); err != nil && !errors.Is(err, os.ErrNotExist) && i > 0 {
				fmt.Fprintln(os.Stderr, "warning: could not remove", missing[i], err)
			}
		}
	}
}
