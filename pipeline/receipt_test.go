package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// TestEveryAnswerCarriesAReceiptOfItsAuditEvent: a plain answer carries the receipt header,
// a stream the receipt trailer, a refusal the header too; each names the seq and hash of the
// caller's own stored event, and the trail holding them verifies under the chain key.
func TestEveryAnswerCarriesAReceiptOfItsAuditEvent(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("rhea")
	env.Endpoint("chat", gateway.TypeChat, "m", nil)

	_, hdr, body := env.Do("POST", "/endpoints/chat/invocations", key, chatBody)
	plain := hdr.Get(httpkit.ReceiptHeader)

	streamBody := map[string]any{"model": "chat", "stream": true, "messages": []map[string]string{{"role": "user", "content": "a b"}}}
	resp := env.Send("POST", "/v1/chat/completions", key, streamBody)
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get(httpkit.ReceiptHeader) != "" {
		t.Fatal("a stream cannot know its receipt when its headers go out")
	}
	streamed := resp.Trailer.Get(httpkit.ReceiptHeader)

	_, denied, _ := env.Do("POST", "/endpoints/nope/invocations", key, chatBody)
	if denied.Get(httpkit.ReceiptHeader) != "" {
		t.Fatal("a request that reached no endpoint has no event and must carry no receipt")
	}

	events := env.AccessEvents("chat")
	if len(events) != 2 {
		t.Fatalf("%d access events, want 2 (%s)", len(events), body)
	}
	for i, got := range []string{plain, streamed} {
		if want := fmt.Sprintf("seq=%d; hash=%s", events[i].Seq, events[i].Hash); got != want || events[i].Hash == "" {
			t.Errorf("receipt %d = %q, want %q", i, got, want)
		}
	}
	r, err := audit.Verify(context.Background(), env.App.Store, env.AuditKeys)
	if err != nil || !r.OK || r.Keyed == 0 {
		t.Fatalf("trail holding the receipted events: %+v, %v", r, err)
	}
}
