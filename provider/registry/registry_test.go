package registry

import (
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// TestNamesAreUniqueAndResolvable guards against two providers claiming one name (a later
// spec would silently shadow an earlier one) and against specs without a translator.
func TestNamesAreUniqueAndResolvable(t *testing.T) {
	r := Default()
	seen := map[string]string{}
	for _, s := range r.Specs() {
		for _, name := range append([]string{s.Name}, s.Aliases...) {
			if other, dup := seen[name]; dup {
				t.Errorf("name %q claimed by %s and %s", name, other, s.Name)
			}
			seen[name] = s.Name
			if got := r.Lookup(name); got != s {
				t.Errorf("Lookup(%q) = %v, want %s", name, got, s.Name)
			}
		}
		if s.Translator == nil && s.Retired == "" {
			t.Errorf("%s has no translator", s.Name)
		}
		for _, typ := range s.Streams {
			if !s.Supports(typ) {
				t.Errorf("%s streams %s but does not serve it", s.Name, typ)
			}
		}
		if len(s.Types) == 0 || !gateway.ValidEndpointType(s.Types[0]) {
			t.Errorf("%s serves no valid endpoint type", s.Name)
		}
	}
}

// TestMLflowNames checks the provider names MLflow configs use (docs/contract/domino-aigateway.md §4.7)
// that this package already lists.
func TestMLflowNames(t *testing.T) {
	r := Default()
	for _, name := range []string{"openai", "OpenAI", "azure-openai", "azure_openai", "azure", "bedrock", "amazon-bedrock", "Amazon_Bedrock", "anthropic"} {
		if r.Lookup(name) == nil {
			t.Errorf("Lookup(%q) = nil", name)
		}
	}
}
