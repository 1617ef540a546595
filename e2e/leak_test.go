package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// leakProvider is one provider configuration whose credential the fake echoes back.
type leakProvider struct {
	name   string
	cred   string // what the fake echoes (for Bedrock the secret access key)
	config func(fakeURL, model string) (provider, modelName string, config map[string]any)
}

func leakProviders() []leakProvider {
	k := func(prefix string) string { return prefix + randomHex(10) }
	openAI := "tok/" + randomHex(8) + "+" + randomHex(4) + "=" // no sk- prefix; '/', '+', '=' encode
	awsID, awsSecret := "AKID"+strings.ToUpper(randomHex(8)), "aws/secret+"+randomHex(12)
	simple := func(provider, keyName, baseName, path, cred string) func(string, string) (string, string, map[string]any) {
		return func(fakeURL, model string) (string, string, map[string]any) {
			return provider, model, map[string]any{keyName: cred, baseName: fakeURL + path}
		}
	}
	mistral, together, gemini, cohere, anthropic, azure, databricks, tgi :=
		k("mis_"), k("tgt_"), k("gem-"), k("coh_"), k("sk-ant-"), k("sk-"), k("dapi"), k("hf_")
	return []leakProvider{
		{"openai", openAI, simple("openai", "openai_api_key", "openai_api_base", "/v1", openAI)},
		{"mistral", mistral, simple("mistral", "mistral_api_key", "mistral_api_base", "/v1", mistral)},
		{"togetherai", together, simple("togetherai", "togetherai_api_key", "togetherai_api_base", "/v1", together)},
		{"gemini", gemini, func(u, m string) (string, string, map[string]any) {
			return simple("gemini", "gemini_api_key", "gemini_api_base", "/v1beta", gemini)(u, "gemini-"+m)
		}},
		{"cohere", cohere, simple("cohere", "cohere_api_key", "cohere_api_base", "", cohere)},
		{"anthropic", anthropic, simple("anthropic", "anthropic_api_key", "anthropic_api_base", "/v1", anthropic)},
		{"azure", azure, func(u, m string) (string, string, map[string]any) {
			return "openai", m, map[string]any{"openai_api_type": "azure", "openai_api_key": azure, "openai_api_base": u,
				"openai_api_version": "2024-06-01", "openai_deployment_name": m}
		}},
		{"databricks", databricks, func(u, m string) (string, string, map[string]any) {
			return "databricks", m, map[string]any{"databricks_workspace_url": u, "databricks_api_token": databricks}
		}},
		{"tgi", tgi, func(u, m string) (string, string, map[string]any) {
			return "huggingface-text-generation-inference", m, map[string]any{"hf_server_url": u, "hf_api_key": tgi}
		}},
		{"bedrock", awsSecret, func(u, m string) (string, string, map[string]any) {
			return "bedrock", "anthropic.claude-" + m, map[string]any{"aws_region": "us-east-1", "aws_access_key_id": awsID,
				"aws_secret_access_key": awsSecret, "bedrock_endpoint_url": u}
		}},
		// Credentials minted at send time, in no config: the OAuth access token the fake issues
		// for the service account, and (below) the temporary keys its STS issues.
		{"vertex_ai", "ya29." + randomHex(24), func(u, m string) (string, string, map[string]any) {
			return "vertex_ai", "gemini-" + m, map[string]any{"vertex_project": "fake-project", "vertex_location": "us-central1",
				"vertex_api_base": u, "vertex_credentials": string(fakeupstream.VertexServiceAccount(u + fakeupstream.VertexTokenPath))}
		}},
		{"bedrock-role", "", func(u, m string) (string, string, map[string]any) {
			return "bedrock", "anthropic.claude-" + m, map[string]any{"aws_region": "us-east-1", "aws_access_key_id": awsID,
				"aws_secret_access_key": awsSecret, "aws_role_arn": "arn:aws:iam::123456789012:role/leak",
				"aws_sts_endpoint_url": u + "/_sts", "bedrock_endpoint_url": u}
		}},
	}
}

// mintedCredentials returns the temporary keys and session tokens the fake's STS issued
// during the run (the bedrock-role provider's credentials, known only afterwards).
func mintedCredentials(fake *e2e.Fake) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range fake.Requests() {
		if !strings.HasPrefix(r.Credential, "ASIAFAKE") || seen[r.Credential] {
			continue
		}
		seen[r.Credential] = true
		secret, _ := fake.AWSSecret(r.Credential)
		n := strings.TrimPrefix(secret, "fake-temporary-secret-")
		out = append(out, secret, "fake-session-token-"+n)
	}
	return out
}

// openAIWire names the providers whose fake speaks the OpenAI stream (fake-leakevent).
var openAIWire = map[string]bool{"openai": true, "mistral": true, "togetherai": true, "azure": true, "databricks": true, "tgi": true}

// leakMidStream streams from upstreams that send a first chunk and then an error event echoing
// the credential: /v1 must end with its error event, the MLflow route must abort, and neither
// may carry the credential. It returns the number of requests sent.
func leakMidStream(x *exposure, providers []leakProvider, fakeURL, userKey string) int {
	n := 0
	for _, p := range providers {
		if !openAIWire[p.name] {
			continue
		}
		ep := "leak-" + p.name + "-event"
		provider, model, cfg := p.config(fakeURL, "fake-leakevent")
		x.admin("POST", "/api/aigateway/v1/endpoints", map[string]any{"endpointName": ep, "endpointType": "llm/v1/chat",
			"modelProvider": provider, "modelName": model, "modelConfig": cfg, "logPayloads": true,
			"endpointPermissions": map[string]any{"isEveryoneAllowed": true, "userIds": []string{}}}, http.StatusOK)
		for _, form := range fakeupstream.LeakForms {
			msgs := []map[string]string{{"role": "user", "content": "leak:" + form}}
			n += 2
			body, err := streamCapture(x, "/v1/chat/completions", userKey, map[string]any{"model": ep, "messages": msgs, "stream": true})
			if err != nil || !strings.Contains(body, `"error"`) || strings.Contains(body, "[DONE]") {
				x.t.Errorf("%s %s on /v1: read error %v, body %s", ep, form, err, body)
			}
			body, err = streamCapture(x, "/endpoints/"+ep+"/invocations", userKey, map[string]any{"messages": msgs, "stream": true})
			if err == nil {
				x.t.Errorf("%s %s on MLflow: the broken stream read as complete: %s", ep, form, body)
			}
		}
	}
	return n
}

// streamCapture posts body, captures what arrived (headers and the body up to any abort) and
// returns the body and the read error.
func streamCapture(x *exposure, path, key string, body any) (string, error) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(x.t.Context(), "POST", x.g.URL+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		x.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, rerr := io.ReadAll(resp.Body)
	var hdr strings.Builder
	_ = resp.Header.Write(&hdr)
	x.add("POST "+path+" (stream)", hdr.String()+"\n"+string(got))
	return string(got), rerr
}

// TestEchoedCredentialNeverLeavesAnyProvider drives every provider's error path (a 400 whose
// message echoes the credential), its answer (a 200 whose text echoes it) and its stream (the
// echo split across events) with an upstream that echoes the credential in every form
// fakeupstream.LeakForms names, on the MLflow, OpenAI and Anthropic surfaces, with payload logging on;
// then it searches every response and header, the audit trail over HTTP and exported, the
// server log, /metrics and the database's bytes for each encoding of each credential.
func TestEchoedCredentialNeverLeavesAnyProvider(t *testing.T) {
	onEveryBackend(t, testEchoedCredentialNeverLeaves)
}

func testEchoedCredentialNeverLeaves(t *testing.T, b e2e.Backend) {
	providers := leakProviders()
	keys := map[string][]string{}
	aws := map[string]string{}
	for _, p := range providers {
		name := p.name
		switch name {
		case "mistral", "togetherai", "tgi": // OpenAI-wire routes (TGI chat is its Messages API)
			name = "openai"
		case "bedrock":
			_, _, cfg := p.config("", "")
			aws[cfg["aws_access_key_id"].(string)] = p.cred
			continue
		case "bedrock-role":
			continue
		}
		keys[name] = append(keys[name], p.cred)
	}
	fake := e2e.StartFake(t, fakeupstream.Options{Keys: keys, AWS: aws})
	dir := t.TempDir()
	opts := b.Options()
	opts.DataDir = dir
	g := e2e.Start(t, opts)
	x := &exposure{t: t, g: g}
	_, userKey := g.CreateUser(t, "lee", false)

	requests := 0
	for _, p := range providers {
		for _, status := range []int{400, 200} {
			ep := fmt.Sprintf("leak-%s-%d", p.name, status)
			provider, model, cfg := p.config(fake.URL, fmt.Sprintf("fake-leak-%d", status))
			x.admin("POST", "/api/aigateway/v1/endpoints", map[string]any{"endpointName": ep, "endpointType": "llm/v1/chat",
				"modelProvider": provider, "modelName": model, "modelConfig": cfg, "logPayloads": true,
				"endpointPermissions": map[string]any{"isEveryoneAllowed": true, "userIds": []string{}}}, http.StatusOK)
			for _, form := range fakeupstream.LeakForms {
				for _, stream := range []bool{false, true} {
					if stream && status != 200 {
						continue
					}
					msgs := []map[string]string{{"role": "user", "content": "leak:" + form}}
					requests += 2
					r := x.do("POST", "/v1/chat/completions", userKey, map[string]any{"model": ep, "messages": msgs, "stream": stream}, status)
					m := x.do("POST", "/endpoints/"+ep+"/invocations", userKey, map[string]any{"messages": msgs, "stream": stream}, status)
					a := x.do("POST", "/v1/messages", userKey, map[string]any{"model": ep, "max_tokens": 64, "messages": msgs, "stream": stream}, status)
					requests++
					for _, resp := range []*e2e.Response{r, m, a} {
						// Errors may withhold the message altogether; answers keep their text.
						if status == 200 && !strings.Contains(string(resp.Body), "[REDACTED]") {
							t.Errorf("%s %s stream=%v: the echo is not in the answer, redacted: %s", ep, form, stream, resp.Body)
						}
					}
				}
			}
		}
	}
	requests += leakMidStream(x, providers, fake.URL, userKey)
	x.admin("GET", "/api/aigateway/v1/audit?eventKinds=AccessGatewayEndpoint&pageSize=1000", nil, http.StatusOK)
	x.admin("GET", "/v4/aigateway/audit/download?useJson=true", nil, http.StatusOK)
	x.cli("audit", "export", "--format", "jsonl")
	x.cli("audit", "export", "--format", "csv")
	x.add("GET /metrics", string(e2e.Do(t, g.URL, "GET", "/metrics", nil, nil).Body))
	g.Stop(t)
	x.add("server log", g.Logs())
	addDataDirFiles(x, dir, b.DatabaseURL == "")
	if b.DatabaseURL != "" {
		addDatabaseRows(x, b.DatabaseURL, "leak-openai-400")
	}

	minted := mintedCredentials(fake)
	if len(minted) == 0 {
		t.Fatal("the bedrock-role endpoints never used temporary keys from the fake's STS")
	}
	creds := map[string]string{}
	for _, p := range providers {
		if p.cred != "" {
			creds[p.cred] = p.name
		}
	}
	for _, c := range minted {
		creds[c] = "bedrock-role (minted)"
	}
	leaks := 0
	for cred, name := range creds {
		for form, enc := range fakeupstream.LeakEncodings(cred) {
			for _, cp := range x.captured {
				if strings.Contains(cp.text, enc) {
					leaks++
					if leaks <= 20 {
						t.Errorf("the %s credential leaked in %s form %q into %s", name, form, enc, cp.where)
					}
				}
			}
		}
	}
	echoed := 0
	for _, r := range fake.Requests() {
		if r.Authorized && strings.Contains(r.Model, "fake-leak") {
			echoed++
		}
	}
	if echoed != requests {
		t.Fatalf("the fake answered %d authorised echo requests of %d sent", echoed, requests)
	}
	t.Logf("%d echo requests over %d providers × %d forms; %d leaks in %d captured outputs", requests, len(providers),
		len(fakeupstream.LeakForms), leaks, len(x.captured))
}
