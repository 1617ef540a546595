package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/fakeupstream"
)

// llmgate demo: the gateway with the fake upstream in-process and one ready endpoint per type,
// so the README's tour runs offline. The fake speaks OpenAI's wire and answers "echo: " plus the
// prompt; nothing leaves the machine.

// demoMarker marks a data directory llmgate demo made, so only such a directory is wiped.
const demoMarker = ".llmgate-demo"

// demoEndpoints are the tour's endpoints: name, type and the OpenAI model behind it.
var demoEndpoints = [][3]string{
	{"chat", "llm/v1/chat", "gpt-4o-mini"},
	{"completions", "llm/v1/completions", "gpt-3.5-turbo-instruct"},
	{"embeddings", "llm/v1/embeddings", "text-embedding-3-small"},
}

func demoCommand() *cobra.Command {
	var s settings
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the gateway with a built-in fake provider and ready endpoints (offline tour)",
		Long: `Run the gateway on a fresh data directory (default ./llmgate-demo, wiped at each start) with
the fake upstream in-process and three endpoints everyone may use: "chat" (llm/v1/chat),
"completions" (llm/v1/completions) and "embeddings" (llm/v1/embeddings), all answered by the
fake ("echo: <prompt>"). It creates user "demo" and writes its API key to
<data-dir>/demo-api-key (the admin's to <data-dir>/admin-api-key), then prints the commands
of the README's tour. Nothing leaves the machine.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if !c.Flags().Changed("data-dir") && os.Getenv("LLMGATE_DATA_DIR") == "" {
				s.DataDir = "./llmgate-demo"
			}
			if err := s.validate(); err != nil {
				return usageError(c, err)
			}
			if s.DatabaseURL != "" {
				return usageError(c, errors.New("demo runs on its own embedded database: drop --database-url"))
			}
			if err := freshDemoDir(s.DataDir); err != nil {
				return err
			}
			fake, err := startFake()
			if err != nil {
				return err
			}
			defer fake.Close()
			log := newLogger(s.LogFormat)
			s.onReady = func(url string) error { return seedDemo(c.OutOrStdout(), url, s.DataDir, fake.URL) }
			if err := serve(&s, log); err != nil {
				log.Error("llmgate stopped", "err", err)
				return exitError{1}
			}
			return nil
		},
	}
	c.Flags().SortFlags = false
	s.bind(c.Flags(), scopeServe)
	return c
}

// freshDemoDir empties dir if an earlier demo made it; any other non-empty directory is
// refused rather than wiped.
func freshDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist) || err == nil && len(entries) == 0:
	case err != nil:
		return err
	default:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("%s is not empty and was not made by llmgate demo: choose another --data-dir", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("made by llmgate demo; wiped at its next start\n"), 0o600)
}

type fakeServer struct {
	URL string
	srv *http.Server
}

func (f *fakeServer) Close() { f.srv.Close() }

// startFake serves the fake upstream on a free loopback port.
func startFake() (*fakeServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the fake upstream: %w", err)
	}
	srv := &http.Server{Handler: fakeupstream.New(fakeupstream.Options{}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &fakeServer{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

// seedDemo creates the endpoints, the demo user and its key through the admin API, as an admin
// would, and prints the tour.
func seedDemo(out io.Writer, url, dir, fakeURL string) error {
	raw, err := os.ReadFile(filepath.Join(dir, "admin-api-key"))
	if err != nil {
		return fmt.Errorf("demo: reading the admin key: %w", err)
	}
	admin := demoClient{url: url, key: strings.TrimSpace(string(raw))}
	for _, ep := range demoEndpoints {
		err := admin.post("/api/aigateway/v1/endpoints", map[string]any{
			"endpointName": ep[0], "endpointType": ep[1], "modelProvider": "openai", "modelName": ep[2],
			"modelConfig":         map[string]string{"openai_api_key": fakeupstream.DefaultKey("openai"), "openai_api_base": fakeURL + "/v1"},
			"endpointPermissions": map[string]any{"isEveryoneAllowed": true, "userIds": []string{}},
		}, nil)
		if err != nil {
			return err
		}
	}
	var user struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := admin.post("/api/users/v1/users", map[string]any{"userName": "demo", "email": "demo@example.org"}, &user); err != nil {
		return err
	}
	var token struct {
		Token string `json:"token"`
	}
	if err := admin.post("/api/pat/v1/users/"+user.User.ID+"/tokens", map[string]any{"name": "demo", "expiresIn": "30d"}, &token); err != nil {
		return err
	}
	keyFile := filepath.Join(dir, "demo-api-key")
	if err := writePrivateFile(keyFile, token.Token+"\n"); err != nil {
		return err
	}
	fmt.Fprintf(out, `
llmgate demo is ready at %s (the fake provider at %s).
Endpoints everyone may use: chat, completions, embeddings. User "demo"'s key is in %s.
Try (README, "Quick tour"):
  export LLMGATE_KEY=$(cat %s)
  curl -s %s/v1/chat/completions -H "Authorization: Bearer $LLMGATE_KEY" -H "Content-Type: application/json" \
    -d '{"model": "chat", "messages": [{"role": "user", "content": "Hello"}]}'
Stop with Ctrl-C.
`, url, fakeURL, keyFile, keyFile, url)
	return nil
}

type demoClient struct{ url, key string }

func (d demoClient) post(path string, body, into any) error {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, d.url+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+d.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("demo: POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("demo: POST %s: %d %s", path, resp.StatusCode, got)
	}
	if into != nil {
		return json.Unmarshal(got, into)
	}
	return nil
}
