package fakeupstream_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/google"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/vertexai"
	"github.com/llmgate/llmgate/transport"
)

// vertexRoundTrip sends what the vertex_ai translator builds through the gateway's own
// transport, which mints the OAuth token from the service-account JSON at the fake's token
// endpoint, and translates the answer back.
func vertexRoundTrip(t *testing.T, tr *transport.Transport, c *provider.Call) (*llm.Response, []llm.Chunk, error) {
	t.Helper()
	hr, err := vertexai.Spec.Translator.Request(c)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	resp, err := tr.Do(context.Background(), hr)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	// A body cut short (fake-drop) is left for the stream decoder's End to judge, as the
	// gateway does; only the complete bytes read are fed.
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return nil, nil, vertexai.Spec.Translator.Error(c, resp.StatusCode, resp.Header, body)
	}
	if !c.Req.Stream() {
		r, err := vertexai.Spec.Translator.Response(c, body)
		return r, nil, err
	}
	d := vertexai.Spec.Translator.Stream(c)
	chunks, err := d.Feed(body)
	if err != nil {
		return nil, chunks, err
	}
	tail, err := d.End()
	return nil, append(chunks, tail...), err
}

func vertexConfig(baseURL, location string) map[string]string {
	return map[string]string{
		vertexai.KeyProject:     "fake-project",
		vertexai.KeyLocation:    location,
		vertexai.KeyAPIBase:     baseURL,
		vertexai.KeyCredentials: string(fakeupstream.VertexServiceAccount(baseURL + fakeupstream.VertexTokenPath)),
	}
}

func TestVertexThroughTheGatewayTransport(t *testing.T) {
	fake := fakeupstream.New(fakeupstream.Options{})
	ts := httptest.NewServer(fake)
	defer ts.Close()
	tr := transport.New(transport.Options{})
	for _, location := range []string{"us-central1", "global", ""} {
		t.Run("location="+location, func(t *testing.T) {
			config := vertexConfig(ts.URL, location)
			call := func(model string, r *llm.Request) *provider.Call {
				return &provider.Call{Type: r.Type, Model: model, Config: config, Req: r}
			}
			resp, _, err := vertexRoundTrip(t, tr, call("gemini-2.0-flash", chatReq(false)))
			if err != nil || *resp.Chat.Choices[0].Message.Content != "echo: hello there friend" || *resp.Chat.Usage.CompletionTokens != 4 {
				t.Fatalf("chat: %+v %v", resp, err)
			}
			_, chunks, err := vertexRoundTrip(t, tr, call("gemini-2.0-flash", chatReq(true)))
			if err != nil || text(chunks) != "echo: hello there friend" || chunks[len(chunks)-1].Usage == nil {
				t.Fatalf("stream: %q %v", text(chunks), err)
			}
			comp := &llm.Request{Type: gateway.TypeCompletions, Completion: &llm.CompletionRequest{Prompt: "one two three", Params: llm.Params{MaxTokens: ptr(2)}}}
			resp, _, err = vertexRoundTrip(t, tr, call("gemini-2.0-flash", comp))
			if err != nil || resp.Completion.Choices[0].Text != "echo: one" || *resp.Completion.Choices[0].FinishReason != "length" {
				t.Fatalf("max tokens: %+v %v", resp, err)
			}
			emb := &llm.Request{Type: gateway.TypeEmbeddings, Embeddings: &llm.EmbeddingsRequest{Input: []string{"alpha beta", "gamma"}}}
			resp, _, err = vertexRoundTrip(t, tr, call("text-embedding-005", emb))
			if err != nil {
				t.Fatalf("embeddings: %v", err)
			}
			e := resp.Embeddings
			if len(e.Data) != 2 || e.Data[1].Embedding[3] != fakeupstream.Embedding("gamma")[3] || e.Usage.PromptTokens == nil || *e.Usage.PromptTokens != 3 {
				t.Fatalf("embeddings: %+v", e)
			}
		})
	}

	var tokenCalls int
	for _, rec := range fake.Requests() {
		switch rec.Provider {
		case "google-oauth":
			tokenCalls++
			if !rec.Authorized || rec.Status != http.StatusOK {
				t.Errorf("token request refused: %+v", rec)
			}
		case "vertex_ai":
			if !rec.Authorized || rec.Credential != fakeupstream.DefaultKey("vertex_ai") || rec.Status != http.StatusOK {
				t.Errorf("model request %s: %+v", rec.Path, rec)
			}
		}
	}
	if tokenCalls != 1 {
		t.Fatalf("the gateway should mint one token and reuse it, the fake saw %d token requests", tokenCalls)
	}
}

func TestVertexFailuresMapLikeGoogle(t *testing.T) {
	ts := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer ts.Close()
	tr := transport.New(transport.Options{})
	config := vertexConfig(ts.URL, "europe-west4")
	failures := []struct {
		model string
		code  gateway.Code
		text  string
	}{
		{"fake-error-401", gateway.CodeUpstream, "credentials"},
		{"fake-error-403", gateway.CodeUpstream, "credentials"},
		{"fake-ratelimit", gateway.CodeRateLimited, "rate limit"},
		{"fake-error-503", gateway.CodeUpstream, "failed"},
		{"fake-error-400", gateway.CodeInvalid, "rejected the request"},
	}
	for _, f := range failures {
		t.Run(f.model, func(t *testing.T) {
			_, _, err := vertexRoundTrip(t, tr, &provider.Call{Type: gateway.TypeChat, Model: f.model, Config: config, Req: chatReq(false)})
			if gateway.ErrorCode(err) != f.code || !strings.Contains(gateway.ErrorMessage(err), f.text) || !strings.Contains(gateway.ErrorMessage(err), `"vertex_ai"`) {
				t.Fatalf("want %s mentioning %q, got %v", f.code, f.text, err)
			}
			var ge *gateway.Error
			if f.code == gateway.CodeRateLimited && (!errors.As(err, &ge) || ge.RetryAfter < time.Second) {
				t.Fatalf("rate limit without Retry-After: %+v", err)
			}
		})
	}
	_, _, err := vertexRoundTrip(t, tr, &provider.Call{Type: gateway.TypeChat, Model: "fake-drop", Config: config, Req: chatReq(true)})
	if gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Fatalf("dropped stream must fail, got %v", err)
	}
}

func vertexPost(t *testing.T, url, authorization, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestVertexRoutesNeedTheIssuedToken(t *testing.T) {
	fake := fakeupstream.New(fakeupstream.Options{Keys: map[string][]string{"vertex_ai": {"ya29.custom-token"}}})
	ts := httptest.NewServer(fake)
	defer ts.Close()
	model := ts.URL + "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:"
	chat := `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`
	tests := []struct {
		name, url, auth, body string
		status                int
		want                  string
	}{
		{"issued token", model + "generateContent", "Bearer ya29.custom-token", chat, 200, `"text":"echo: hi"`},
		{"wrong token", model + "generateContent", "Bearer fake-vertex_ai-key", chat, 401, `"status":"UNAUTHENTICATED"`},
		{"no token", model + "generateContent", "", chat, 401, `"status":"UNAUTHENTICATED"`},
		{"API key scheme", model + "generateContent", "ya29.custom-token", chat, 401, `"status":"UNAUTHENTICATED"`},
		{"stream needs alt=sse", model + "streamGenerateContent", "Bearer ya29.custom-token", chat, 400, "alt=sse"},
		{"stream", model + "streamGenerateContent?alt=sse", "Bearer ya29.custom-token", chat, 200, "data: {"},
		{"predict", model + "predict", "Bearer ya29.custom-token", `{"instances":[{"content":"a b"}],"parameters":{"outputDimensionality":3}}`, 200, `"token_count":2`},
		{"predict without content", model + "predict", "Bearer ya29.custom-token", `{"instances":[{"title":"t"}]}`, 400, "content"},
		{"malformed body", model + "predict", "Bearer ya29.custom-token", `{"instances":`, 400, "Invalid JSON"},
		{"unknown method", model + "countTokens", "Bearer ya29.custom-token", chat, 404, "countTokens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := vertexPost(t, tc.url, tc.auth, tc.body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Fatalf("%d %s; want %d containing %s", resp.StatusCode, body, tc.status, tc.want)
			}
			if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("401 without a Bearer challenge: %v", resp.Header)
			}
		})
	}
	_, body := vertexPost(t, model+"predict", "Bearer ya29.custom-token", `{"instances":[{"content":"x"}],"parameters":{"outputDimensionality":3}}`)
	var predict struct {
		Predictions []struct {
			Embeddings struct{ Values []float64 } `json:"embeddings"`
		} `json:"predictions"`
	}
	if err := json.Unmarshal(body, &predict); err != nil || len(predict.Predictions[0].Embeddings.Values) != 3 ||
		predict.Predictions[0].Embeddings.Values[2] != fakeupstream.Embedding("x")[2] {
		t.Fatalf("outputDimensionality not honoured: %s", body)
	}
}

// signJWT builds a compact RS256 JWS as golang.org/x/oauth2/jwt does.
func signJWT(t *testing.T, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(header) + "." + enc(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// testAccountKey reads the private key out of the fake's own service-account JSON.
func testAccountKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	var sa struct {
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal(fakeupstream.VertexServiceAccount("http://x/token"), &sa); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(sa.PrivateKey))
	if block == nil {
		t.Fatal("service account has no PEM private key")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key.(*rsa.PrivateKey)
}

func TestVertexTokenEndpointVerifiesTheAssertion(t *testing.T) {
	fake := fakeupstream.New(fakeupstream.Options{})
	ts := httptest.NewServer(fake)
	defer ts.Close()
	tokenURL := ts.URL + fakeupstream.VertexTokenPath
	key := testAccountKey(t)
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	header := map[string]any{"alg": "RS256", "typ": "JWT", "kid": "fakeupstream-vertex-key-1"}
	claims := func(change func(map[string]any)) map[string]any {
		c := map[string]any{"iss": fakeupstream.VertexClientEmail, "scope": "https://www.googleapis.com/auth/cloud-platform",
			"aud": tokenURL, "iat": now, "exp": now + 3600}
		if change != nil {
			change(c)
		}
		return c
	}
	valid := signJWT(t, key, header, claims(nil))
	tests := []struct {
		name      string
		grant     string
		assertion string
		ok        bool
	}{
		{"valid", "urn:ietf:params:oauth:grant-type:jwt-bearer", valid, true},
		{"another key", "urn:ietf:params:oauth:grant-type:jwt-bearer", signJWT(t, stranger, header, claims(nil)), false},
		{"tampered claims", "urn:ietf:params:oauth:grant-type:jwt-bearer", tamper(valid, claims(func(c map[string]any) { c["exp"] = now + 7200 })), false},
		{"wrong grant type", "client_credentials", valid, false},
		{"other audience", "urn:ietf:params:oauth:grant-type:jwt-bearer", signJWT(t, key, header, claims(func(c map[string]any) { c["aud"] = "https://oauth2.googleapis.com/other" })), false},
		{"expired", "urn:ietf:params:oauth:grant-type:jwt-bearer", signJWT(t, key, header, claims(func(c map[string]any) { c["iat"], c["exp"] = now-7200, now-3600 })), false},
		{"no cloud-platform scope", "urn:ietf:params:oauth:grant-type:jwt-bearer", signJWT(t, key, header, claims(func(c map[string]any) { c["scope"] = "openid" })), false},
		{"other account", "urn:ietf:params:oauth:grant-type:jwt-bearer", signJWT(t, key, header, claims(func(c map[string]any) { c["iss"] = "other@p.iam.gserviceaccount.com" })), false},
		{"HS256", "urn:ietf:params:oauth:grant-type:jwt-bearer", signJWT(t, key, map[string]any{"alg": "HS256"}, claims(nil)), false},
		{"garbage", "urn:ietf:params:oauth:grant-type:jwt-bearer", "a.b.c", false},
		{"two parts", "urn:ietf:params:oauth:grant-type:jwt-bearer", "e30.e30", false},
		{"missing", "urn:ietf:params:oauth:grant-type:jwt-bearer", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"grant_type": {tc.grant}, "assertion": {tc.assertion}}
			resp, err := http.PostForm(tokenURL, form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			if tc.ok {
				if resp.StatusCode != 200 || out["access_token"] != fakeupstream.DefaultKey("vertex_ai") || out["token_type"] != "Bearer" || out["expires_in"] != 3600.0 {
					t.Fatalf("%d %v", resp.StatusCode, out)
				}
				return
			}
			if resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" || out["access_token"] != nil {
				t.Fatalf("want 400 invalid_grant, got %d %v", resp.StatusCode, out)
			}
		})
	}
}

// tamper swaps the claims of a signed JWT, keeping the original signature.
func tamper(jwt string, claims map[string]any) string {
	parts := strings.Split(jwt, ".")
	b, _ := json.Marshal(claims)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
}

func TestVertexServiceAccountRoute(t *testing.T) {
	ts := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer ts.Close()
	tests := []struct {
		query, wantTokenURI string
		status              int
	}{
		{"", ts.URL + fakeupstream.VertexTokenPath, 200},
		{"?token_uri=" + url.QueryEscape("http://fake.internal:8080/vertex/token"), "http://fake.internal:8080/vertex/token", 200},
		{"?token_uri=" + url.QueryEscape("/relative"), "", 400},
		{"?token_uri=" + url.QueryEscape("file:///etc/passwd"), "", 400},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			resp, err := http.Get(ts.URL + fakeupstream.VertexServiceAccountPath + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if tc.status != 200 {
				return
			}
			// Google's own client library must accept it as a service account.
			creds, err := google.CredentialsFromJSONWithType(context.Background(), body, google.ServiceAccount, "https://www.googleapis.com/auth/cloud-platform")
			if err != nil {
				t.Fatalf("not a service-account JSON: %v", err)
			}
			var sa struct {
				TokenURI    string `json:"token_uri"`
				ClientEmail string `json:"client_email"`
			}
			if err := json.Unmarshal(creds.JSON, &sa); err != nil || sa.TokenURI != tc.wantTokenURI || sa.ClientEmail != fakeupstream.VertexClientEmail {
				t.Fatalf("token_uri %q, client_email %q: %v", sa.TokenURI, sa.ClientEmail, err)
			}
		})
	}
}
