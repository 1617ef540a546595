package mlflowimport

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider/registry"
	ratememory "github.com/llmgate/llmgate/ratelimit/memory"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/sqlite"
)

// fuzzSecret is what every $VARIABLE starting with "SET" resolves to; no error may show it.
const fuzzSecret = "sk-fuzz-SECRET-5c1d"

func fuzzEnv(name string) (string, bool) {
	if strings.HasPrefix(name, "SET") {
		return fuzzSecret, true
	}
	return "", false
}

// FuzzImport runs the importer's whole validation (YAML parse, MLflow 2/3 spellings, config
// flattening, $VARIABLE resolution, limits, the app's endpoint checks) on fuzzed files; only
// the final creation is left out so every input starts from the same empty gateway. A file
// is accepted or refused with a 400-class gateway error that names no resolved credential.
func FuzzImport(f *testing.F) {
	for _, seed := range []string{mlflow2, mlflow3,
		"endpoints:\n  - name: b\n    endpoint_type: llm/v1/embeddings\n    model: {provider: bedrock, name: amazon.titan-embed-text-v2:0, config: {aws_config: {aws_region: us-east-1, aws_access_key_id: $SET_ID, aws_secret_access_key: $SET_KEY}}}\n",
		"endpoints:\n  - name: x\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: m, config: {openai_api_key: $UNSET}}\n    limit: {calls: 7, renewal_period: 7 minutes}\n",
		"a: &a [1, *a]\n", "endpoints: [\n", "routes: ~\n", "",
	} {
		f.Add([]byte(strings.ReplaceAll(seed, "$OPENAI_API_KEY", "$SET_OPENAI")))
	}
	ctx := context.Background()
	dir := f.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "llmgate.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	keys, err := local.LoadKeyring(dir, "")
	if err != nil {
		f.Fatal(err)
	}
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	writer := audit.NewWriter(store, log)
	f.Cleanup(writer.Close)
	a, err := app.New(ctx, app.Options{Store: store, Secrets: local.New(store, keys), Providers: registry.Default(),
		Limiter: ratememory.New(), Audit: writer, AuditKeys: audit.NewDerivedKeyring(keys), Log: log})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, yamlBytes []byte) {
		logs.Reset()
		inputs, err := plan(ctx, a, yamlBytes, fuzzEnv)
		if err != nil {
			var gerr *gateway.Error
			if !errors.As(err, &gerr) || gerr.Code != gateway.CodeInvalid {
				t.Fatalf("refusal %T %v is not an invalid-input gateway error", err, err)
			}
			if strings.Contains(err.Error(), fuzzSecret) {
				t.Fatalf("a resolved credential reached the error: %v", err)
			}
			if len(err.Error()) > 4*len(yamlBytes)+1024 {
				t.Fatalf("%d-byte file gave a %d-byte error", len(yamlBytes), len(err.Error()))
			}
			return
		}
		if len(inputs) == 0 || len(inputs) > len(yamlBytes) {
			t.Fatalf("%d-byte file planned %d endpoints", len(yamlBytes), len(inputs))
		}
		for _, in := range inputs {
			if !gateway.ValidEndpointType(in.Type) || a.Providers.Lookup(in.Provider) == nil {
				t.Fatalf("accepted endpoint %+v", in)
			}
		}
		if strings.Contains(logs.String(), fuzzSecret) {
			t.Fatalf("a resolved credential reached the log: %s", logs.String())
		}
	})
}
