package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The bare proxy keeps forwarding a request body after the upstream has started to answer.
// net/http's server would otherwise close the body once the proxy flushes the stream's
// headers, breaking the transport's write and with it the upstream connection: the cause of
// the "unexpected EOF" streamed phases through the proxy. Here the upstream answers before it
// has read the body and the caller sends the second half of the body only once it has the
// answer's headers, so the race of the bench becomes a certainty: without full duplex the
// proxy never sends the headers (or cuts the stream), and the call fails.
func TestBareProxyForwardsTheBodyWhileTheAnswerStreams(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.EnableFullDuplex(); err != nil {
			t.Error(err)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		rc.Flush()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("upstream reading the body: %v", err)
			return
		}
		io.WriteString(w, "data: {\"got\":\""+string(body)+"\"}\n\ndata: [DONE]\n\n")
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	proxy := httptest.NewServer(newProxy(u))
	defer proxy.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	req, _ := http.NewRequestWithContext(ctx, "POST", proxy.URL+"/v1/chat/completions", pr)
	req.ContentLength = int64(len("first-second"))
	headers := make(chan struct{})
	go func() {
		io.WriteString(pw, "first-")
		select {
		case <-headers:
			io.WriteString(pw, "second")
			pw.Close()
		case <-ctx.Done(): // the client's transport waits for its body write to end
			pw.CloseWithError(ctx.Err())
		}
	}()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("no answer while the body was still being sent: %v", err)
	}
	defer resp.Body.Close()
	close(headers)
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("stream cut after %q: %v", got, err)
	}
	if !strings.Contains(string(got), `"got":"first-second"`) || !wholeAnswer(got, true) {
		t.Fatalf("stream = %q, want the whole body echoed and [DONE]", got)
	}
}

// With the upstream down the bare proxy answers 502, and the caller's connection stays usable:
// in full duplex net/http panics reading the next request while the failed one's body is
// unread, unless the proxy drains it.
func TestBareProxyAnswers502CleanlyWhenTheUpstreamIsDown(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	u, _ := url.Parse(dead.URL)
	dead.Close()
	proxy := httptest.NewUnstartedServer(newProxy(u))
	var serverLog bytes.Buffer
	proxy.Config.ErrorLog = log.New(&serverLog, "", 0)
	proxy.Start()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	for range 5 {
		resp, err := client.Post(proxy.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[]}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want 502", resp.StatusCode)
		}
	}
	proxy.Close()
	if strings.Contains(serverLog.String(), "panic") {
		t.Fatalf("the proxy's server panicked:\n%.600s", serverLog.String())
	}
}
