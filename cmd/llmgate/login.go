package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/gateway"
)

// loginTimeout bounds how long `llmgate login` waits for the browser.
const loginTimeout = 5 * time.Minute

// loginCommand is `llmgate login`: it obtains a short-lived key for this machine — through the
// console in a browser (sign in any way the console offers, approve, and the browser hands the
// key to this command's loopback listener) or, for a job, by exchanging an identity provider's
// JWT (--jwt-file) — and writes the environment the MLflow, OpenAI and LangChain clients read.
func loginCommand() *cobra.Command {
	var base, envFile, jwtFile, expires string
	var noBrowser bool
	c := &cobra.Command{Use: "login --url URL", Short: "Get a short-lived key for this machine and write the clients' environment",
		Long: "Get a short-lived API key and write a file to source that sets LLMGATE_API_KEY, MLFLOW_DEPLOYMENTS_TARGET,\n" +
			"MLFLOW_TRACKING_TOKEN, OPENAI_BASE_URL and OPENAI_API_KEY. Without --jwt-file it opens the console to sign in\n" +
			"and approve; with --jwt-file it exchanges the identity provider's JWT in that file (RFC 8693).",
		Args: cobra.NoArgs}
	c.Flags().StringVar(&base, "url", "", "the gateway's address, e.g. https://llm.example.com (required)")
	c.Flags().StringVar(&envFile, "env-file", defaultEnvFile(), "file to write (mode 0600)")
	c.Flags().StringVar(&jwtFile, "jwt-file", "", "exchange the identity provider JWT in this file instead of signing in")
	c.Flags().StringVar(&expires, "expires", "8h", "key lifetime for --jwt-file (1m to 24h)")
	c.Flags().BoolVar(&noBrowser, "no-browser", false, "print the sign-in address instead of opening a browser")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		u, err := url.Parse(strings.TrimRight(base, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError(cmd, fmt.Errorf("--url must be the gateway's http(s) address"))
		}
		base = u.String()
		var key string
		if jwtFile != "" {
			key, err = exchangeJWT(cmd.Context(), base, jwtFile, expires)
		} else {
			key, err = browserLogin(cmd.Context(), base, noBrowser, cmd.OutOrStdout())
		}
		if err != nil {
			return err
		}
		if err := writeEnvFile(envFile, base, key); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "signed in; load the environment with:\n  source %s\n", envFile)
		return nil
	}
	return c
}

func defaultEnvFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return "llmgate.env"
	}
	return filepath.Join(home, ".llmgate", "env")
}

// browserLogin serves one POST /callback on a loopback port and sends the user to the
// console's approval page, which posts the new key and the state back.
func browserLogin(ctx context.Context, base string, noBrowser bool, out io.Writer) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening on loopback: %w", err)
	}
	defer ln.Close()
	state := gateway.NewSecret()
	keys := make(chan string, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		if r.Method != http.MethodPost || r.URL.Path != "/callback" ||
			subtle.ConstantTimeCompare([]byte(r.PostFormValue("state")), []byte(state)) != 1 || r.PostFormValue("key") == "" {
			http.Error(w, "not a sign-in for this llmgate login", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>llmgate login</title><p>Signed in. You can close this tab and go back to the terminal.</p>")
		select {
		case keys <- r.PostFormValue("key"):
		default:
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	target := fmt.Sprintf("%s/console/cli-login?port=%d&state=%s", base, port, state)
	fmt.Fprintf(out, "Sign in and approve in your browser:\n  %s\n", target)
	if !noBrowser {
		openBrowser(target)
	}
	select {
	case key := <-keys:
		return key, nil
	case <-time.After(loginTimeout):
		return "", errors.New("no sign-in within 5 minutes; run llmgate login again")
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func openBrowser(u string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if cmd.Start() == nil {
		go cmd.Wait()
	}
}

// exchangeJWT trades the JWT in file for a key at the gateway's token exchange endpoint.
func exchangeJWT(ctx context.Context, base, file, expires string) (string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	lifetime, err := time.ParseDuration(expires)
	if err != nil || lifetime < time.Minute || lifetime > 24*time.Hour {
		return "", fmt.Errorf("--expires must be from 1m to 24h")
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {strings.TrimSpace(string(raw))},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:jwt"}, "expires_in": {fmt.Sprint(int64(lifetime / time.Second))},
		"name": {"llmgate login"}}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token exchange refused (HTTP %d): %s %s", resp.StatusCode, out.Error, out.Description)
	}
	return out.AccessToken, nil
}

// writeEnvFile writes the clients' environment, readable by the user only.
func writeEnvFile(path, base, key string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	body := fmt.Sprintf("# written by llmgate login at %s\nexport LLMGATE_URL=%s\nexport LLMGATE_API_KEY=%s\n"+
		"export MLFLOW_DEPLOYMENTS_TARGET=%s\nexport MLFLOW_TRACKING_TOKEN=%s\nexport OPENAI_BASE_URL=%s\nexport OPENAI_API_KEY=%s\n",
		time.Now().UTC().Format(time.RFC3339), q(base), q(key), q(base), q(key), q(base+"/v1"), q(key))
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
