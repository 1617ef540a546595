package app

import (
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

var openaiSpec = &provider.Spec{Name: "openai", RequiredKeys: []string{"openai_api_key"},
	OptionalKeys: []string{"openai_api_base", "openai_organization", "proxy_token", "extra_secret"}, SecretKeys: []string{"proxy_password"}}

func TestValidSecretRef(t *testing.T) {
	for ref, want := range map[string]bool{
		"env:OPENAI_API_KEY": true, "env:_X1": true, "vault:secret/data/llm#openai": true,
		"env:": false, "env:1X": false, "env:A-B": false, "vault:path": false, "vault:#f": false,
		"vault:a#b#c": false, "file:/etc/passwd": false, "": false, "ENV:X": false,
	} {
		if got := ValidSecretRef(ref); got != want {
			t.Errorf("ValidSecretRef(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestPlanConfigOnCreate(t *testing.T) {
	p, err := planConfig(openaiSpec, map[string]ConfigValue{
		"openai_api_key":  {Value: "sk-1"},
		"openai_api_base": {Value: "https://x/v1"},
		"proxy_password":  {SecretRef: "env:PROXY_PW"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.toStore, map[string]string{"openai_api_key": "sk-1"}) ||
		!reflect.DeepEqual(p.plain, map[string]string{"openai_api_base": "https://x/v1"}) ||
		p.refs["proxy_password"] != (gateway.SecretRef{Ref: "env:PROXY_PW"}) {
		t.Errorf("plan = %+v", p)
	}
	if want := []string{"openai_api_base", "openai_api_key", "proxy_password"}; !reflect.DeepEqual(p.keysChanged, want) {
		t.Errorf("keysChanged = %v, want %v", p.keysChanged, want)
	}
}

func TestPlanConfigRejects(t *testing.T) {
	old := &gateway.Endpoint{Secrets: map[string]gateway.SecretRef{"openai_api_key": {Ref: "local:1", Owned: true}}}
	for name, c := range map[string]struct {
		given map[string]ConfigValue
		old   *gateway.Endpoint
		want  string
	}{
		"missing required key":      {map[string]ConfigValue{"openai_api_base": {Value: "x"}}, nil, `"openai_api_key"`},
		"blank required key":        {map[string]ConfigValue{"openai_api_key": {Value: " "}}, nil, "openai_api_key"},
		"mask without stored value": {map[string]ConfigValue{"openai_api_key": {Value: gateway.SecretMask}}, nil, "no credential is stored"},
		"mask for another key":      {map[string]ConfigValue{"openai_api_key": {Value: "k"}, "other_token": {Value: gateway.SecretMask}}, old, "other_token"},
		"bad reference":             {map[string]ConfigValue{"openai_api_key": {SecretRef: "http://x"}}, nil, "secretRef"},
		"empty key":                 {map[string]ConfigValue{"": {Value: "x"}, "openai_api_key": {Value: "k"}}, nil, "keys"},
		"misspelt credential": {map[string]ConfigValue{"openai_api_key": {Value: "k"}, "api-key": {Value: "LEAK"}}, nil,
			`"api-key" is not a setting of provider "openai"; its keys are extra_secret, openai_api_base, openai_api_key`},
		"password in base URL": {map[string]ConfigValue{"openai_api_key": {Value: "k"}, "openai_api_base": {Value: "https://u:LEAK@h/v1"}}, nil, "user:password@"},
		"user in base URL":     {map[string]ConfigValue{"openai_api_key": {Value: "k"}, "openai_api_base": {Value: "http://LEAK@h"}}, nil, "user:password@"},
	} {
		_, err := planConfig(openaiSpec, c.given, c.old)
		if err == nil || gateway.ErrorCode(err) != gateway.CodeInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want invalid mentioning %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "LEAK") {
			t.Errorf("%s: the refused value reached the error: %v", name, err)
		}
	}
}

func TestPlanConfigPatch(t *testing.T) {
	old := &gateway.Endpoint{
		Config: map[string]string{"openai_api_base": "https://a/v1", "openai_organization": "org"},
		Secrets: map[string]gateway.SecretRef{"openai_api_key": {Ref: "local:key", Owned: true},
			"proxy_token": {Ref: "local:proxy", Owned: true}, "extra_secret": {Ref: "env:EXTRA"}},
	}
	p, err := planConfig(openaiSpec, map[string]ConfigValue{
		"openai_api_key":      {Value: gateway.SecretMask}, // kept
		"openai_organization": {Value: "org"},              // unchanged
		"openai_api_base":     {Value: "https://b/v1"},     // changed
		"proxy_token":         {Value: "new"},              // replaced: old owned ref dropped
		// extra_secret removed: not owned, so nothing to delete
	}, old)
	if err != nil {
		t.Fatal(err)
	}
	if p.refs["openai_api_key"] != old.Secrets["openai_api_key"] {
		t.Errorf("mask did not keep the reference: %+v", p.refs)
	}
	if !reflect.DeepEqual(p.dropped, []string{"local:proxy"}) {
		t.Errorf("dropped = %v", p.dropped)
	}
	if want := []string{"extra_secret", "openai_api_base", "proxy_token"}; !reflect.DeepEqual(p.keysChanged, want) {
		t.Errorf("keysChanged = %v, want %v", p.keysChanged, want)
	}
	same, err := planConfig(openaiSpec, currentConfig(old), old)
	if err != nil || len(same.keysChanged) != 0 || len(same.dropped) != 0 || len(same.toStore) != 0 {
		t.Errorf("re-applying the current config changed something: %+v, %v", same, err)
	}
}

func TestDescribeUpdate(t *testing.T) {
	old := &gateway.Endpoint{ID: "e", Name: "a", Type: gateway.TypeChat, Provider: "openai", Model: "m1"}
	same := cloneEndpoint(old)
	if describeUpdate(&gateway.AuditEvent{Metadata: map[string]string{}}, old, same, nil) {
		t.Error("no change reported as a change")
	}
	e := cloneEndpoint(old)
	e.Name, e.Model, e.TimeoutSeconds = "b", "m2", 30
	ev := &gateway.AuditEvent{Metadata: map[string]string{}}
	if !describeUpdate(ev, old, e, []string{"openai_api_key"}) {
		t.Fatal("change not reported")
	}
	want := map[string]string{"endpointName": "b", "previousEndpointName": "a",
		"changedFields": "endpointName,modelName,modelConfig,timeoutSeconds", "modelConfigKeysChanged": "openai_api_key",
		"before.endpointName": "a", "after.endpointName": "b", "before.modelName": "m1", "after.modelName": "m2",
		"before.timeoutSeconds": "0", "after.timeoutSeconds": "30"}
	if !reflect.DeepEqual(ev.Metadata, want) || ev.EndpointID != "e" || ev.EndpointType != string(gateway.TypeChat) {
		t.Errorf("event = %+v\nwant metadata %v", ev, want)
	}
}

func TestDescribePermissions(t *testing.T) {
	e := &gateway.Endpoint{ID: "e", Name: "a", Type: gateway.TypeChat}
	old := gateway.Permissions{UserIDs: []string{"u1", "u2"}, OrganizationIDs: []string{}}
	now := gateway.Permissions{IsEveryoneAllowed: true, UserIDs: []string{"u2", "u3"}, OrganizationIDs: []string{"o1"}}
	ev := &gateway.AuditEvent{Metadata: map[string]string{}}
	if !describePermissions(ev, e, old, now) {
		t.Fatal("change not reported")
	}
	want := map[string]string{"endpointName": "a", "changedFields": "isEveryoneAllowed,userIds,organizationIds",
		"before.isEveryoneAllowed": "false", "after.isEveryoneAllowed": "true", "userIdsAdded": "u3",
		"userIdsRemoved": "u1", "organizationIdsAdded": "o1"}
	if !reflect.DeepEqual(ev.Metadata, want) {
		t.Errorf("metadata = %v, want %v", ev.Metadata, want)
	}
	if describePermissions(&gateway.AuditEvent{Metadata: map[string]string{}}, e, now, now) {
		t.Error("identical permissions reported as a change")
	}
}

func TestDedupeKeepsFirstSeenOrder(t *testing.T) {
	if got := dedupe([]string{"b", "a", "b", "c", "a"}); !reflect.DeepEqual(got, []string{"b", "a", "c"}) {
		t.Errorf("dedupe = %v", got)
	}
	if got := dedupe(nil); got == nil || len(got) != 0 {
		t.Errorf("dedupe(nil) = %#v, want an empty non-nil slice", got)
	}
}

func TestMergeConfigAndLocationGuard(t *testing.T) {
	old := &gateway.Endpoint{Provider: "openai", Config: map[string]string{"openai_api_base": "https://a/v1", "openai_organization": "o"},
		Secrets: map[string]gateway.SecretRef{"openai_api_key": {Ref: "local:key", Owned: true}}}
	merged := mergeConfig(openaiSpec, old, map[string]ConfigValue{"openai_organization": {Remove: true}, "proxy_token": {Value: "t"}})
	want := map[string]ConfigValue{"openai_api_base": {Value: "https://a/v1"}, "openai_api_key": {Value: gateway.SecretMask},
		"proxy_token": {Value: "t"}}
	if !reflect.DeepEqual(merged, want) {
		t.Errorf("merged = %v, want %v", merged, want)
	}
	other := &provider.Spec{Name: "anthropic", RequiredKeys: []string{"anthropic_api_key"}}
	given := map[string]ConfigValue{"anthropic_api_key": {Value: "k"}}
	if got := mergeConfig(other, old, given); !reflect.DeepEqual(got, given) {
		t.Errorf("a provider change kept old keys: %v", got)
	}
	for name, c := range map[string]struct {
		given map[string]ConfigValue
		ok    bool
	}{
		"key alone":            {map[string]ConfigValue{"openai_api_key": {Value: "new"}}, true},
		"non-location key":     {map[string]ConfigValue{"openai_organization": {Value: "p"}}, true},
		"base and key":         {map[string]ConfigValue{"openai_api_base": {Value: "https://b/v1"}, "openai_api_key": {Value: "k2"}}, true},
		"base and key ref":     {map[string]ConfigValue{"openai_api_base": {Value: "https://b/v1"}, "openai_api_key": {SecretRef: "env:K"}}, true},
		"base alone":           {map[string]ConfigValue{"openai_api_base": {Value: "https://b/v1"}}, false},
		"base and masked key":  {map[string]ConfigValue{"openai_api_base": {Value: "https://b/v1"}, "openai_api_key": {Value: gateway.SecretMask}}, false},
		"base removed":         {map[string]ConfigValue{"openai_api_base": {Remove: true}}, false},
		"unchanged base given": {map[string]ConfigValue{"openai_api_base": {Value: "https://a/v1"}}, true},
	} {
		p, err := planConfig(openaiSpec, mergeConfig(openaiSpec, old, c.given), old)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		err = credentialsFollowLocation(old, c.given, p)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", name, err, c.ok)
		}
	}
}

// A plain value stored before undeclared keys were refused is shown masked; sending the
// mask back (a read-then-write round trip) keeps it rather than failing the PATCH.
func TestMaskKeepsALegacyPlainValue(t *testing.T) {
	old := &gateway.Endpoint{Provider: "openai", Config: map[string]string{"legacy_setting": "v1"},
		Secrets: map[string]gateway.SecretRef{"openai_api_key": {Ref: "local:key", Owned: true}}}
	given := map[string]ConfigValue{"legacy_setting": {Value: gateway.SecretMask}, "openai_api_key": {Value: gateway.SecretMask}}
	p, err := planConfig(openaiSpec, mergeConfig(openaiSpec, old, given), old)
	if err != nil {
		t.Fatal(err)
	}
	if p.plain["legacy_setting"] != "v1" || len(p.keysChanged) != 0 {
		t.Errorf("plan = %+v", p)
	}
	if _, err := planConfig(openaiSpec, map[string]ConfigValue{"openai_api_key": {Value: "k"}, "legacy_setting": {Value: "v2"}}, nil); err == nil {
		t.Error("an undeclared key was accepted on create")
	}
}
