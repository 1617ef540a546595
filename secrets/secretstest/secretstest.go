// Package secretstest is the conformance suite every gateway.SecretStore passes, plus an
// in-memory fake of gateway.SealedSecretStore for stores built on top of it.
//
// The suite checks the contract callers rely on rather than any implementation detail:
// values round-trip byte for byte, references are unique and reveal nothing, deletion is
// idempotent, and concurrent writers do not interfere.
package secretstest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// Run runs the conformance suite. newStore returns a fresh store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) gateway.SecretStore) {
	t.Run("PutResolveDelete", func(t *testing.T) { testPutResolveDelete(t, newStore(t)) })
	t.Run("DeleteIsIdempotent", func(t *testing.T) { testDeleteIdempotent(t, newStore(t)) })
	t.Run("RefsAreUniqueAndOpaque", func(t *testing.T) { testRefsUniqueAndOpaque(t, newStore(t)) })
	t.Run("Values", func(t *testing.T) { testValues(t, newStore(t)) })
	t.Run("ConcurrentPuts", func(t *testing.T) { testConcurrentPuts(t, newStore(t)) })
	t.Run("BadRefs", func(t *testing.T) { testBadRefs(t, newStore(t)) })
}

func testPutResolveDelete(t *testing.T, s gateway.SecretStore) {
	ctx := context.Background()
	const value = "sk-proj-Q2hhbmdlTWUhSXRJc0FUZXN0S2V5"
	ref := mustPut(t, s, gateway.NewID(), "openai_api_key", value)
	if got := mustResolve(t, s, ref); got != value {
		t.Fatalf("Resolve = %q, want %q", got, value)
	}
	if err := s.Delete(ctx, ref); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Resolve(ctx, ref); gateway.ErrorCode(err) != gateway.CodeNotFound {
		t.Fatalf("Resolve after Delete: err = %v, want code %s", err, gateway.CodeNotFound)
	}
}

func testDeleteIdempotent(t *testing.T, s gateway.SecretStore) {
	ctx := context.Background()
	ref := mustPut(t, s, gateway.NewID(), "aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	for i := range 2 {
		if err := s.Delete(ctx, ref); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
}

func testRefsUniqueAndOpaque(t *testing.T, s gateway.SecretStore) {
	const value = "sk-ant-api03-same-value-twice"
	endpointID := gateway.NewID()
	a := mustPut(t, s, endpointID, "anthropic_api_key", value)
	b := mustPut(t, s, endpointID, "anthropic_api_key", value)
	if a == b {
		t.Fatalf("two puts returned the same reference %q", a)
	}
	for _, ref := range []string{a, b} {
		if strings.Contains(ref, value) || strings.Contains(ref, "same-value") {
			t.Fatalf("reference %q reveals the value", ref)
		}
		if got := mustResolve(t, s, ref); got != value {
			t.Fatalf("Resolve(%q) = %q, want %q", ref, got, value)
		}
	}
	// Deleting one must leave the other intact: an endpoint update stores the new value,
	// then deletes the old reference.
	if err := s.Delete(context.Background(), a); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := mustResolve(t, s, b); got != value {
		t.Fatalf("after deleting the first ref, Resolve(second) = %q, want %q", got, value)
	}
}

func testValues(t *testing.T, s gateway.SecretStore) {
	big := make([]byte, 64<<10)
	for i := range big {
		big[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i%64]
	}
	pem := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
	cases := []struct{ name, key, value string }{
		{"unicode", "password", "pässwörd-密码-🔑-пароль"},
		{"pem with newlines", "private_key", pem},
		{"quotes and backslashes", "bearer_token", `a"b\c'd{e}` + "\t"},
		{"64 KiB", "service_account_json", string(big)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := mustPut(t, s, gateway.NewID(), c.key, c.value)
			if got := mustResolve(t, s, ref); got != c.value {
				t.Fatalf("Resolve returned %d bytes that differ from the %d stored", len(got), len(c.value))
			}
		})
	}
}

func testConcurrentPuts(t *testing.T, s gateway.SecretStore) {
	const n = 16
	endpointID := gateway.NewID()
	refs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			refs[i], errs[i] = s.Put(context.Background(), endpointID, "api_key", valueFor(i))
		})
	}
	wg.Wait()
	seen := make(map[string]bool, n)
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("concurrent Put %d: %v", i, errs[i])
		}
		if seen[refs[i]] {
			t.Fatalf("reference %q returned twice", refs[i])
		}
		seen[refs[i]] = true
		if got := mustResolve(t, s, refs[i]); got != valueFor(i) {
			t.Fatalf("Resolve(ref %d) = %q, want %q", i, got, valueFor(i))
		}
	}
}

func testBadRefs(t *testing.T, s gateway.SecretStore) {
	for _, ref := range []string{"", "sk-looks-like-a-raw-key", "local:", "local:zz", "vault-kv:", "\x00\xff"} {
		if _, err := s.Resolve(context.Background(), ref); err == nil {
			t.Errorf("Resolve(%q) succeeded, want an error", ref)
		} else if strings.Contains(err.Error(), "sk-looks-like") {
			t.Errorf("Resolve error %q echoes the reference", err)
		}
	}
}

func valueFor(i int) string { return fmt.Sprintf("sk-concurrent-%02d-%s", i, strings.Repeat("x", i)) }

func mustPut(t *testing.T, s gateway.SecretStore, endpointID, key, value string) string {
	t.Helper()
	ref, err := s.Put(context.Background(), endpointID, key, value)
	if err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
	return ref
}

func mustResolve(t *testing.T, s gateway.SecretStore, ref string) string {
	t.Helper()
	v, err := s.Resolve(context.Background(), ref)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", ref, err)
	}
	return v
}
