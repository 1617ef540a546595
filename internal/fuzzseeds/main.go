// Command fuzzseeds writes the seed corpora of the provider fuzz targets from real answers of
// the fake upstream: every registered provider, every endpoint type, streamed and not, normal
// and faulty (error statuses, rate limit, malformed body, dropped connection). Seeds from a
// realistic wire let the fuzzer start deep inside each decoder instead of at the JSON syntax.
//
//	go run ./internal/fuzzseeds   # from the repository root; rewrites the generated seeds
//
// It writes provider/registry/testdata/fuzz/{FuzzProviderResponse,FuzzProviderStream},
// provider/sse/testdata/fuzz/FuzzParser and provider/bedrock/testdata/fuzz/FuzzEventStream.
// Hand-written seeds (names not starting with "wire-") are left alone.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/registry"
	"github.com/llmgate/llmgate/transport"
)

// variants are the model-name markers the fake answers (fakeupstream package comment).
var variants = []string{"fuzz-model", "fake-error-400", "fake-error-500", "fake-ratelimit", "fake-malformed", "fake-drop"}

var requests = map[gateway.EndpointType]string{
	gateway.TypeChat:        `{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello fuzz seed"}],"max_tokens":16}`,
	gateway.TypeCompletions: `{"prompt":"hello fuzz seed","max_tokens":16}`,
	gateway.TypeEmbeddings:  `{"input":["hello fuzz seed","second input"]}`,
}

// minimal are the requests for providers that refuse the above (one message, one input).
var minimal = map[gateway.EndpointType]string{
	gateway.TypeChat:        `{"messages":[{"role":"user","content":"hello fuzz seed"}]}`,
	gateway.TypeCompletions: `{"prompt":"hello fuzz seed"}`,
	gateway.TypeEmbeddings:  `{"input":"hello fuzz seed"}`,
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fuzzseeds:", err)
		os.Exit(1)
	}
}

func run() error {
	fake := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer fake.Close()
	dirs := []string{
		"provider/registry/testdata/fuzz/FuzzProviderResponse", "provider/registry/testdata/fuzz/FuzzProviderStream",
		"provider/sse/testdata/fuzz/FuzzParser", "provider/bedrock/testdata/fuzz/FuzzEventStream",
	}
	for _, d := range dirs {
		if err := clearGenerated(d); err != nil {
			return err
		}
	}
	n := 0
	for _, s := range registry.Default().Specs() {
		if s.Translator == nil {
			continue
		}
		if _, config := endpoint(fake.URL, s.Name, s.Types[0], "m"); config == nil {
			fmt.Printf("no fake configuration for provider %s: no seeds (add it to endpoint())\n", s.Name)
			continue
		}
		for i, typ := range s.Types {
			for _, v := range variants {
				for _, stream := range []bool{false, true} {
					if stream && !s.CanStream(typ) {
						continue
					}
					wrote, err := capture(fake.URL, s, i, typ, v, stream)
					if err != nil {
						return fmt.Errorf("%s %s %s stream=%v: %w", s.Name, typ, v, stream, err)
					}
					n += wrote
				}
			}
		}
	}
	fmt.Printf("wrote %d seeds\n", n)
	return nil
}

func clearGenerated(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "wire-*"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	return nil
}

// capture sends one request to the fake and writes the answer as seeds; it returns how many.
func capture(url string, s *provider.Spec, typeIndex int, typ gateway.EndpointType, variant string, stream bool) (int, error) {
	model, config := endpoint(url, s.Name, typ, variant)
	if config == nil {
		return 0, nil
	}
	body := requests[typ]
	if stream {
		body = body[:len(body)-1] + `,"stream":true,"stream_options":{"include_usage":true}}`
	}
	req, gerr := llm.Decode(typ, []byte(body))
	if gerr != nil {
		return 0, gerr
	}
	hr, err := s.Translator.Request(&provider.Call{Type: typ, Model: model, Config: config, Req: req})
	if err != nil && !stream { // some models take one message or one input per call
		req, _ = llm.Decode(typ, []byte(minimal[typ]))
		hr, err = s.Translator.Request(&provider.Call{Type: typ, Model: model, Config: config, Req: req})
	}
	if err != nil {
		return 0, err
	}
	resp, err := transport.Do(context.Background(), hr)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body) // a dropped connection leaves what arrived: that is the seed
	short := map[gateway.EndpointType]string{gateway.TypeChat: "chat", gateway.TypeCompletions: "completions", gateway.TypeEmbeddings: "embeddings"}[typ]
	name := "wire-" + strings.ReplaceAll(s.Name, "_", "-") + "-" + short + "-" + strings.TrimPrefix(variant, "fake-")
	if !stream || resp.StatusCode >= 300 {
		status := uint16(resp.StatusCode)
		if stream {
			name += "-stream"
		}
		return 1, writeSeed("provider/registry/testdata/fuzz/FuzzProviderResponse", name,
			fmt.Sprintf("string(%q)", s.Name), fmt.Sprintf("uint8(%d)", typeIndex), fmt.Sprintf("uint16(%d)", status), bytesLit(answer))
	}
	streamIndex := indexOf(s.Streams, typ)
	name += "-stream"
	if err := writeSeed("provider/registry/testdata/fuzz/FuzzProviderStream", name,
		fmt.Sprintf("string(%q)", s.Name), fmt.Sprintf("uint8(%d)", streamIndex), "uint8(7)", bytesLit(answer)); err != nil {
		return 0, err
	}
	ct := resp.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "text/event-stream"):
		return 2, writeSeed("provider/sse/testdata/fuzz/FuzzParser", name, bytesLit(answer), "uint8(5)")
	case strings.HasPrefix(ct, "application/vnd.amazon.eventstream"):
		return 2, writeSeed("provider/bedrock/testdata/fuzz/FuzzEventStream", name, bytesLit(eventLines(answer)), "uint8(9)")
	}
	return 1, nil
}

func indexOf(list []gateway.EndpointType, t gateway.EndpointType) int {
	for i, v := range list {
		if v == t {
			return i
		}
	}
	return 0
}

func bytesLit(b []byte) string { return "[]byte(" + strconv.Quote(string(b)) + ")" }

// writeSeed writes one corpus file in the format `go test` reads (testing/internal/fuzz).
func writeSeed(dir, name string, values ...string) error {
	text := "go test fuzz v1\n" + strings.Join(values, "\n") + "\n"
	return os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
}

// endpoint returns the model and modelConfig that point provider at the fake, as the Python
// provider matrix configures them (tests/python/test_provider_matrix.py).
func endpoint(url, name string, typ gateway.EndpointType, model string) (string, map[string]string) {
	key := fakeupstream.DefaultKey
	switch name {
	case "openai", "mistral", "togetherai", "ai21labs", "litellm":
		return model, map[string]string{name + "_api_key": key("openai"), name + "_api_base": url + "/v1"}
	case "groq", "deepseek", "xai", "openrouter", "ollama":
		return model, map[string]string{"api_key": key("openai"), "api_base": url + "/v1"}
	case "azure-openai":
		return "gpt-4o-mini", map[string]string{"openai_api_key": key("azure"), "openai_api_base": url,
			"openai_api_version": "2024-06-01", "openai_deployment_name": model}
	case "anthropic":
		return model, map[string]string{"anthropic_api_key": key("anthropic"), "anthropic_api_base": url + "/v1"}
	case "gemini":
		return model, map[string]string{"gemini_api_key": key("gemini"), "gemini_api_base": url + "/v1beta"}
	case "cohere":
		return model, map[string]string{"cohere_api_key": key("cohere"), "cohere_api_base": url}
	case "huggingface-text-generation-inference":
		if typ == gateway.TypeChat {
			return model, map[string]string{"hf_server_url": url, "hf_api_key": key("openai")}
		}
		return "tgi", map[string]string{"hf_server_url": url + "/tgi/" + model, "hf_api_key": key("tgi")}
	case "mlflow-model-serving":
		if typ == gateway.TypeEmbeddings {
			model += "-embed"
		}
		return "served-model", map[string]string{"model_server_url": url + "/serving/" + model}
	case "bedrock":
		if typ == gateway.TypeEmbeddings {
			model = "amazon.titan-embed-" + model
		}
		return model, map[string]string{"aws_region": "us-east-1", "aws_access_key_id": fakeupstream.TestAWSAccessKeyID,
			"aws_secret_access_key": fakeupstream.TestAWSSecretAccessKey, "bedrock_endpoint_url": url}
	case "databricks":
		return model, map[string]string{"databricks_workspace_url": url, "databricks_api_token": key("databricks")}
	case "vertex_ai":
		return model, map[string]string{"vertex_project": "fake-project", "vertex_location": "us-central1", "vertex_api_base": url,
			"vertex_credentials": string(fakeupstream.VertexServiceAccount(url + fakeupstream.VertexTokenPath))}
	}
	return model, nil // no configuration for the fake yet: run() names the provider and skips it
}

// eventLines rewrites an AWS event-stream body in the text form FuzzEventStream (provider/bedrock)
// frames again: one "<:message-type> <:event-type or :exception-type> <payload>" line per
// message. A cut-off tail is left out.
func eventLines(wire []byte) []byte {
	var out bytes.Buffer
	dec := eventstream.NewDecoder()
	r := bytes.NewReader(wire)
	for r.Len() > 0 {
		msg, err := dec.Decode(r, nil)
		if err != nil {
			break
		}
		kind := msg.Headers.Get(":event-type")
		if kind == nil {
			kind = msg.Headers.Get(":exception-type")
		}
		typ := msg.Headers.Get(":message-type")
		if kind == nil || typ == nil {
			continue
		}
		fmt.Fprintf(&out, "%s %s %s\n", typ.String(), kind.String(), msg.Payload)
	}
	return out.Bytes()
}
