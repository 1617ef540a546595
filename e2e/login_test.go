package e2e

import (
	"bufio"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/internal/testenv"
)

// `llmgate login` in a terminal, approved in the console by a signed-in user, writes an
// environment with which the unmodified OpenAI SDK and MLflow client query the user's endpoint;
// a hand-off with the wrong state is refused by the command.
func TestLoginWritesTheClientsEnvironment(t *testing.T) {
	f := newConsoleFixture(t)
	g := f.g
	envFile := filepath.Join(t.TempDir(), "env")
	cmd := exec.Command(e2e.Binary(t), "login", "--url", g.URL, "--no-browser", "--env-file", envFile)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	var approve string
	for approve == "" && lines.Scan() {
		if l := strings.TrimSpace(lines.Text()); strings.HasPrefix(l, g.URL+"/console/cli-login?") {
			approve = l
		}
	}
	u, _ := url.Parse(approve)
	port := u.Query().Get("port")
	if resp, err := http.PostForm("http://127.0.0.1:"+port+"/callback", url.Values{"state": {"forged-state-0123456789"}, "key": {"lgk_x"}}); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a forged hand-off: %v %v", resp, err)
	}

	ann := e2e.NewBrowser(t)
	ann.SignIn(g.URL, "ann", f.annKey)
	ann.Open(approve, "#cli-approve")
	ann.Shot("console-cli-login")
	ann.Do(chromedp.Click(chromedp.ID("cli-approve-button")))
	ann.Wait(`document.body.innerText.includes("close this tab")`)
	done := make(chan error, 1)
	go func() {
		for lines.Scan() {
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("llmgate login: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("llmgate login did not finish after the approval")
	}
	info, err := os.Stat(envFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("env file: %v %v", info, err)
	}
	python := testenv.Python(t)
	for name, code := range map[string]string{
		"openai": `from openai import OpenAI
print(OpenAI().chat.completions.create(model="team-chat", messages=[{"role": "user", "content": "Hello"}]).choices[0].message.content)`,
		"mlflow": `from mlflow.deployments import get_deploy_client
print(get_deploy_client().predict(endpoint="team-chat", inputs={"messages": [{"role": "user", "content": "Hello"}]})["choices"][0]["message"]["content"])`,
	} {
		out, err := exec.Command("sh", "-c", ". "+envFile+" && exec "+python+" -c '"+code+"'").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "echo: Hello") {
			t.Errorf("%s client with the login environment: %v\n%s", name, err, out)
		}
	}
}
