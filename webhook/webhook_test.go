package webhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A first failing delivery is retried; the body arrives signed; a receiver that never accepts
// ends in OnFailure after the attempts.
func TestDeliveryIsSignedAndRetried(t *testing.T) {
	var calls atomic.Int32
	got := make(chan bool, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		got <- Verify("s3cret", r.Header.Get(SignatureHeader), body, time.Now(), time.Minute) && string(body) == `{"a":1}`
	}))
	defer srv.Close()
	failed := make(chan error, 1)
	s := Start(t.Context(), Options{Secret: "s3cret", Backoff: time.Millisecond, OnFailure: func(_ string, _ []byte, err error) { failed <- err }})
	s.Send(srv.URL, []byte(`{"a":1}`))
	select {
	case ok := <-got:
		if !ok {
			t.Fatal("the delivered body's signature does not verify")
		}
	case err := <-failed:
		t.Fatalf("delivery failed: %v", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d calls, want a failure then a success", calls.Load())
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer down.Close()
	s.Send(down.URL, []byte(`{}`))
	if err := <-failed; err == nil {
		t.Fatal("want a failure report")
	}
	if Verify("s3cret", Sign("other", time.Now(), []byte("x")), []byte("x"), time.Now(), time.Minute) ||
		Verify("s3cret", Sign("s3cret", time.Now().Add(-time.Hour), []byte("x")), []byte("x"), time.Now(), time.Minute) {
		t.Fatal("a wrong key or an old timestamp verified")
	}
}
