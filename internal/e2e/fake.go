package e2e

import (
	"net/http/httptest"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
)

// Fake is an in-process fake upstream (package fakeupstream) on a loopback port, so a test
// can read what the gateway sent upstream through the embedded Server.
type Fake struct {
	*fakeupstream.Server
	URL string // base URL; OpenAI's routes are under URL + "/v1"
}

// StartFake serves a fake upstream until t ends.
func StartFake(t testing.TB, opts fakeupstream.Options) *Fake {
	t.Helper()
	s := fakeupstream.New(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &Fake{Server: s, URL: hs.URL}
}
