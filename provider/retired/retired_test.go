package retired

import (
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

func TestRetiredSpecsKeepTheirConfigButNoTranslator(t *testing.T) {
	for _, s := range []*provider.Spec{MosaicML, PaLM} {
		if s.Translator != nil || !strings.Contains(s.Retired, s.Name) || !strings.Contains(s.Retired, "retired") {
			t.Fatalf("%s: retired spec must explain itself and have no translator", s.Name)
		}
		if err := s.CheckConfig(map[string]string{}); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Fatalf("%s: the api key is still required for MLflow configs to validate, got %v", s.Name, err)
		}
		if !s.IsSecret(s.RequiredKeys[0]) {
			t.Fatalf("%s: %s must be treated as a secret", s.Name, s.RequiredKeys[0])
		}
	}
}
