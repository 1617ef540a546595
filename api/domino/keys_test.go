package domino

import (
	"testing"
	"time"
)

func expiresAt(t *testing.T, token map[string]any) *time.Time {
	t.Helper()
	s, ok := token["expiresAt"].(string)
	if !ok {
		return nil
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("expiresAt %q: %v", s, err)
	}
	return &at
}

// Findings 9 and 16 of issue 10: users created never-expiring keys, "1ns" was accepted, and a
// key expiring in seconds minted a never-expiring key that outlived its revoked parent.
func TestKeyLifetimesAreBoundedAndChildrenDieWithTheirParent(t *testing.T) {
	e := newEnv(t)
	_, ukey := e.user("priya")
	mint := func(key string, body map[string]any) *resp { return e.do("POST", "/api/pat/v1/tokens", key, body) }

	for _, expiresIn := range []any{"1ns", "30s", 59, "-1h", "400d"} {
		assertEnvelope(t, mint(ukey, map[string]any{"name": "x", "expiresIn": expiresIn}), 400)
	}
	unbounded := mint(ukey, map[string]any{"name": "forever"}).expect(t, 200).object(t)
	if got := expiresAt(t, unbounded); got == nil || got.Sub(time.Now()) < 364*24*time.Hour || got.Sub(time.Now()) > 366*24*time.Hour {
		t.Errorf("a user's key without expiry got expiresAt %v, want the 365d maximum", got)
	}
	if got := expiresAt(t, mint(ukey, map[string]any{"name": "two-minutes", "expiresIn": "2m"}).expect(t, 200).object(t)); got == nil {
		t.Error("2m key has no expiry")
	}

	// A short-lived parent caps its children, whatever they ask for.
	parent := mint(ukey, map[string]any{"name": "parent", "expiresIn": "10m"}).expect(t, 200).object(t)
	parentKey, parentExp := parent["token"].(string), expiresAt(t, parent)
	for _, body := range []map[string]any{{"name": "child"}, {"name": "child-90d", "expiresIn": "90d"}} {
		child := mint(parentKey, body).expect(t, 200).object(t)
		if got := expiresAt(t, child); got == nil || !got.Equal(*parentExp) {
			t.Errorf("%s: expiresAt %v, want the parent's %v", body["name"], got, parentExp)
		}
	}
	child := mint(parentKey, map[string]any{"name": "child-1h", "expiresIn": "1h"}).expect(t, 200).object(t)
	grandchild := mint(child["token"].(string), map[string]any{"name": "grandchild", "expiresIn": "5m"}).expect(t, 200).object(t)
	e.do("GET", "/api/users/v1/self", grandchild["token"].(string), nil).expect(t, 200)

	// Revoking the parent ends its descendants on their next request.
	e.do("DELETE", "/api/pat/v1/tokens/"+parent["patId"].(string), ukey, nil).expect(t, 200)
	for _, k := range []map[string]any{child, grandchild} {
		assertEnvelope(t, e.do("GET", "/api/users/v1/self", k["token"].(string), nil), 401)
	}
	e.do("GET", "/api/users/v1/self", ukey, nil).expect(t, 200)
	valid := map[string]any{}
	for _, tok := range e.do("GET", "/api/pat/v1/tokens?limit=100", ukey, nil).expect(t, 200).object(t)["tokens"].([]any) {
		tm := tok.(map[string]any)
		valid[tm["name"].(string)] = tm["isValid"]
	}
	if valid["child-1h"] != false || valid["grandchild"] != false || valid["forever"] != true {
		t.Errorf("token listing isValid = %v; descendants of a revoked key must show as invalid", valid)
	}

	// Admins are not bounded by the maximum, for themselves or for others.
	uid := e.app.Snapshot().UserByName("priya").ID
	byAdmin := e.do("POST", "/api/pat/v1/users/"+uid+"/tokens", e.adminKey, map[string]any{"name": "ci"}).expect(t, 200).object(t)
	if byAdmin["expiresAt"] != nil {
		t.Errorf("admin-issued key got expiresAt %v, want none", byAdmin["expiresAt"])
	}
	assertEnvelope(t, e.do("POST", "/api/pat/v1/users/"+uid+"/tokens", e.adminKey, map[string]any{"name": "x", "expiresIn": "1ns"}), 400)
	if k := e.app.Snapshot().Key(byAdmin["patId"].(string)); k == nil || k.ParentID != "" {
		t.Errorf("a key an admin made for someone else has a parent: %+v", k)
	}
}
