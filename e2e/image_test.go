package e2e

import (
	"bufio"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/secrets/vaulttest"
)

// Docker cannot pull base images on the machines this suite runs on, so these tests stand in
// for `docker run`: they build the binary exactly as the Dockerfile does (static, CGO off),
// lay out the image's filesystem (the binary, /data owned by the image's user, /tmp), and run
// the image's ENTRYPOINT+CMD chrooted there as the image's USER with the image's ENV (and the
// Compose file's environment). The root filesystem itself is not writable by that user, as
// in a read-only container.

const imageUID = 65532

// dockerfile is what the final stage of the Dockerfile declares.
type dockerfile struct {
	env        []string
	user       int
	entrypoint []string
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var d dockerfile
	var cmd []string
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "FROM":
			d, cmd = dockerfile{}, nil // only the final stage counts
		case "ENV":
			d.env = append(d.env, strings.Fields(rest)...)
		case "USER":
			uid, _, _ := strings.Cut(rest, ":")
			d.user, _ = strconv.Atoi(uid)
		case "ENTRYPOINT":
			d.entrypoint = jsonArray(rest)
		case "CMD":
			cmd = jsonArray(rest)
		}
	}
	d.entrypoint = append(d.entrypoint, cmd...)
	if d.user != imageUID || len(d.entrypoint) < 2 || !strings.Contains(string(raw), "--chown=65532:65532 /out/data /data") {
		t.Fatalf("the Dockerfile's final stage changed (user %d, entrypoint %v): update this test", d.user, d.entrypoint)
	}
	return d
}

func jsonArray(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.Trim(s, "[] "), ",") {
		out = append(out, strings.Trim(strings.TrimSpace(p), `"`))
	}
	return out
}

func repoRoot(t *testing.T) string {
	wd, _ := os.Getwd()
	return filepath.Dir(wd) // e2e/ is one level down
}

// imageRoot lays out the image's filesystem; withData adds /data as the Dockerfile creates it.
func imageRoot(t *testing.T, withData bool) string {
	t.Helper()
	if os.Getuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the image tests chroot and change user: run them as root")
		}
		t.Skip("the image tests chroot and change user: run them as root")
	}
	root := t.TempDir()
	bin := filepath.Join(root, "usr/local/bin/llmgate")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/llmgate")
	build.Dir = repoRoot(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building as the Dockerfile does: %v\n%s", err, out)
	}
	for _, d := range []string{"tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(root, "tmp"), 0o1777)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"), 0o644)
	if withData {
		data := filepath.Join(root, "data")
		if err := os.Mkdir(data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(data, imageUID, imageUID); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(root, 0o755) // root-owned: the image user cannot write outside /data and /tmp
	return root
}

// runImage starts the image's entrypoint (plus args) in root as the image's user.
func runImage(t *testing.T, root string, d dockerfile, env []string, args ...string) (*exec.Cmd, *syncLog) {
	t.Helper()
	argv := append(append([]string{}, d.entrypoint...), args...)
	cmd := exec.Command(filepath.Join(root, argv[0]), argv[1:]...)
	cmd.Path = argv[0] // resolved inside the chroot
	cmd.Env = append(append([]string{}, d.env...), env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uint32(d.user), Gid: uint32(d.user)}}
	var logs syncLog
	cmd.Stdout, cmd.Stderr = &logs, &logs
	return cmd, &logs
}

func serveImage(t *testing.T, root string, d dockerfile, env []string) (base string, logs *syncLog) {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	cmd, logs := runImage(t, root, d, append(env, "LLMGATE_ADDR=0.0.0.0:"+port)) // the image's 0.0.0.0, a free port
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	base = "http://127.0.0.1:" + port
	waitFor(t, "/ready 200 from the image's entrypoint", func() bool { return status(base+"/ready") == 200 }, logs)
	return base, logs
}

// The image as built, with its own environment: SQLite and keys in /data, as nonroot.
func TestImageEntrypointStartsAsNonroot(t *testing.T) {
	d := parseDockerfile(t)
	root := imageRoot(t, true)
	base, _ := serveImage(t, root, d, []string{"LLMGATE_ADMIN_API_KEY=lgk_admin_image_test_0123456789abcdef"})
	if s := status(base + "/health"); s != 200 {
		t.Fatalf("/health %d", s)
	}
	for _, f := range []string{"llmgate.db", "master.key", "llmgate.lock"} {
		fi, err := os.Stat(filepath.Join(root, "data", f))
		if err != nil {
			t.Fatalf("/data/%s: %v", f, err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != imageUID {
			t.Fatalf("/data/%s owned by %d", f, st.Uid)
		}
	}
	// An admin command in the same container finds the database through the image's env.
	cmd, logs := runImage(t, root, dockerfile{env: d.env, user: d.user, entrypoint: d.entrypoint[:1]}, nil, "users", "list")
	if err := cmd.Run(); err != nil || !strings.Contains(logs.String(), "admin") {
		t.Fatalf("users list in the image: %v\n%s", err, logs.String())
	}
}

// The Compose file's llmgate service, with its environment as written (hosts pointed at the
// test's PostgreSQL and Redis) and its /data volume.
func TestImageEntrypointWithTheComposeEnvironment(t *testing.T) {
	pg, redis := e2e.PostgresURL(t), e2e.RedisURL(t)
	d := parseDockerfile(t)
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "docs/deploy/docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	svc := compose.Services["llmgate"]
	if len(svc.Volumes) != 1 || !strings.HasSuffix(svc.Volumes[0], ":/data") {
		t.Fatalf("compose llmgate volumes %v: want one volume on /data", svc.Volumes)
	}
	var env []string
	for k, v := range svc.Environment {
		switch k {
		case "LLMGATE_DATABASE_URL":
			v = retarget(t, v, pg)
		case "LLMGATE_REDIS_URL":
			v = retarget(t, v, redis)
		case "LLMGATE_ADMIN_API_KEY":
			v = "lgk_admin_image_test_0123456789abcdef"
		}
		env = append(env, k+"="+v)
	}
	root := imageRoot(t, true) // the named volume takes /data's ownership from the image
	base, logs := serveImage(t, root, d, env)
	r := e2e.Do(t, base, "GET", "/api/users/v1/self", map[string]string{"Authorization": "Bearer lgk_admin_image_test_0123456789abcdef"}, nil)
	if r.Status != 200 || !strings.Contains(logs.String(), `"database":"postgres"`) {
		t.Fatalf("self: %d %s\n%s", r.Status, r.Body, logs.String())
	}
}

// retarget points a Compose URL (service host names) at the test's service, keeping the
// rest of it as written; the test database's own query (its schema) is added.
func retarget(t *testing.T, composeURL, testURL string) string {
	c, err := url.Parse(composeURL)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(testURL)
	if err != nil {
		t.Fatal(err)
	}
	c.Host = u.Host
	if c.Scheme == "postgres" {
		c.Path = u.Path
		q := c.Query()
		for k, v := range u.Query() {
			q[k] = v
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}

// With PostgreSQL, Vault and keys from the environment the image needs no volume: /data does
// not exist, the root filesystem is not writable, and it starts without creating anything.
func TestImageEntrypointNeedsNoDataDirWithPostgresAndVault(t *testing.T) {
	pg := e2e.PostgresURL(t)
	const token = "vault-image-token"
	vault := vaulttest.NewServer(token)
	t.Cleanup(vault.Close)
	d := parseDockerfile(t)
	root := imageRoot(t, false)
	env := []string{"LLMGATE_DATABASE_URL=" + pg, "LLMGATE_SECRETS=vault", "VAULT_ADDR=" + vault.URL, "VAULT_TOKEN=" + token,
		"LLMGATE_AUDIT_KEY=" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "LLMGATE_AUDIT_CHECKPOINT_INTERVAL=0s",
		"LLMGATE_ADMIN_API_KEY=lgk_admin_image_test_0123456789abcdef"}
	serveImage(t, root, d, env)
	if _, err := os.Stat(filepath.Join(root, "data")); !os.IsNotExist(err) {
		t.Fatalf("/data was created (%v)", err)
	}
}
