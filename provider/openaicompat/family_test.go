package openaicompat

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

func TestFamilyReachesItsBaseWithItsBearerKey(t *testing.T) {
	f := Family{Name: "acme", Types: []gateway.EndpointType{gateway.TypeChat}, APIKeyKey: "acme_api_key",
		APIBaseKey: "acme_api_base", DefaultBase: "https://api.acme.test/v1/"}
	s := f.Spec()
	if !reflect.DeepEqual(s.RequiredKeys, []string{"acme_api_key"}) || !reflect.DeepEqual(s.OptionalKeys, []string{"acme_api_base"}) {
		t.Fatalf("keys: required %v optional %v", s.RequiredKeys, s.OptionalKeys)
	}
	for _, tc := range []struct {
		config    map[string]string
		url, auth string
	}{
		{map[string]string{"acme_api_key": " k1 "}, "https://api.acme.test/v1/chat/completions", "Bearer k1"},
		{map[string]string{"acme_api_key": "k2", "acme_api_base": "http://127.0.0.1:9/v1"}, "http://127.0.0.1:9/v1/chat/completions", "Bearer k2"},
	} {
		c := &provider.Call{Config: tc.config}
		url, _ := f.url(c, "/chat/completions")
		h := http.Header{}
		if err := f.header(c, h); err != nil || url != tc.url || h.Get("Authorization") != tc.auth {
			t.Errorf("config %v: url %s auth %q err %v; want %s %q", tc.config, url, h.Get("Authorization"), err, tc.url, tc.auth)
		}
	}
}

func TestFamilyWithAnOptionalKeySendsNoneForItsPlaceholder(t *testing.T) {
	f := Family{Name: "local", APIKeyKey: "api_key", APIBaseKey: "api_base", KeyOptional: true, NoKey: "local"}
	if s := f.Spec(); len(s.RequiredKeys) != 0 || !reflect.DeepEqual(s.OptionalKeys, []string{"api_base", "api_key"}) {
		t.Fatalf("keys: required %v optional %v", s.RequiredKeys, s.OptionalKeys)
	}
	for key, want := range map[string]string{"": "", "local": "", "real": "Bearer real"} {
		h := http.Header{}
		_ = f.header(&provider.Call{Config: map[string]string{"api_key": key}}, h)
		if got := h.Get("Authorization"); got != want {
			t.Errorf("key %q: Authorization %q, want %q", key, got, want)
		}
	}
}
