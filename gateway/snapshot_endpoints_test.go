package gateway

import (
	"reflect"
	"testing"
)

// Endpoints loaded with equal config or secret references share one map, endpoints with
// different ones keep their own, a nil map stays nil, and every endpoint reads as loaded.
func TestLoadedEndpointsShareEqualMaps(t *testing.T) {
	eps := []Endpoint{
		{ID: "1", Name: "a", Config: map[string]string{}, Secrets: map[string]SecretRef{"openai_api_key": {Ref: "env:K"}}},
		{ID: "2", Name: "b", Config: map[string]string{}, Secrets: map[string]SecretRef{"openai_api_key": {Ref: "env:K"}}},
		{ID: "3", Name: "c", Config: map[string]string{"a": "bc"}, Secrets: map[string]SecretRef{"openai_api_key": {Ref: "env:K", Owned: true}}},
		{ID: "4", Name: "d", Config: map[string]string{"ab": "c"}},
	}
	want := make([]Endpoint, len(eps))
	for i, e := range eps {
		want[i] = e
		want[i].Config, want[i].Secrets = clone(e.Config), cloneRefs(e.Secrets)
	}
	s := NewSnapshot(&State{Endpoints: eps})
	got := func(name string) *Endpoint { return s.Endpoint(name) }
	if reflect.ValueOf(got("a").Config).Pointer() != reflect.ValueOf(got("b").Config).Pointer() ||
		reflect.ValueOf(got("a").Secrets).Pointer() != reflect.ValueOf(got("b").Secrets).Pointer() {
		t.Fatal("equal maps are not shared")
	}
	if reflect.ValueOf(got("a").Secrets).Pointer() == reflect.ValueOf(got("c").Secrets).Pointer() ||
		reflect.ValueOf(got("c").Config).Pointer() == reflect.ValueOf(got("d").Config).Pointer() {
		t.Fatal("different maps are shared")
	}
	if got("d").Secrets != nil {
		t.Fatal("a nil map became a map")
	}
	for i := range want {
		if e := s.EndpointByID(want[i].ID); !reflect.DeepEqual(*e, want[i]) {
			t.Fatalf("endpoint %s reads %+v, loaded as %+v", want[i].ID, *e, want[i])
		}
	}
}

func cloneRefs(m map[string]SecretRef) map[string]SecretRef {
	if m == nil {
		return nil
	}
	c := make(map[string]SecretRef, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
