package sse

import (
	"errors"
	"reflect"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// textHandler turns each event's data into one chunk with that text; data "skip" yields no
// chunk and "fail" a provider error.
type textHandler struct{}

func (textHandler) OnEvent(ev Event) ([]llm.Chunk, error) {
	switch string(ev.Data) {
	case "skip":
		return nil, nil
	case "fail":
		return nil, gateway.Errorf(gateway.CodeUpstream, "provider failed")
	}
	return []llm.Chunk{{Choices: []llm.ChunkChoice{{Content: string(ev.Data)}}}}, nil
}

func (textHandler) Finish() ([]llm.Chunk, error) { return nil, nil }

func texts(chunks []llm.Chunk) []string {
	var out []string
	for _, c := range chunks {
		out = append(out, c.Choices[0].Content)
	}
	return out
}

// TestFeedEachHandsOverEveryEventAsItIsTranslated: FeedEach calls emit once per event that
// yields chunks, in order, with what Feed would have returned for the same bytes, and keeps a
// partial event for the next piece.
func TestFeedEachHandsOverEveryEventAsItIsTranslated(t *testing.T) {
	input := []byte("data: a\n\ndata: skip\n\ndata: b\n\ndata: c")
	var calls [][]string
	emit := func(chunks []llm.Chunk) error { calls = append(calls, texts(chunks)); return nil }
	d := NewDecoder(textHandler{})
	if err := d.FeedEach(input, emit); err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"a"}, {"b"}}; !reflect.DeepEqual(calls, want) {
		t.Fatalf("emit calls %v, want %v", calls, want)
	}
	if err := d.FeedEach([]byte("\n\n"), emit); err != nil || len(calls) != 3 || calls[2][0] != "c" {
		t.Fatalf("the event completed by the next piece: calls %v, err %v", calls, err)
	}
	batch, err := NewDecoder(textHandler{}).Feed(append(input, "\n\n"...))
	if err != nil || !reflect.DeepEqual(texts(batch), []string{"a", "b", "c"}) {
		t.Fatalf("Feed of the same bytes = %v, %v", texts(batch), err)
	}
}

// TestFeedEachStopsAtTheFirstFailure: an error from emit stops the decoding and comes back as
// it is; a provider error event comes after the chunks of the events before it.
func TestFeedEachStopsAtTheFirstFailure(t *testing.T) {
	gone := errors.New("client gone")
	var got []string
	err := NewDecoder(textHandler{}).FeedEach([]byte("data: a\n\ndata: b\n\n"), func(chunks []llm.Chunk) error {
		got = append(got, texts(chunks)...)
		return gone
	})
	if err != gone || !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatalf("emit failing: err %v after %v, want %v after [a]", err, got, gone)
	}
	got = nil
	err = NewDecoder(textHandler{}).FeedEach([]byte("data: a\n\ndata: fail\n\ndata: b\n\n"), func(chunks []llm.Chunk) error {
		got = append(got, texts(chunks)...)
		return nil
	})
	if gateway.AsError(err).Code != gateway.CodeUpstream || !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatalf("provider error event: err %v after %v, want an upstream error after [a]", err, got)
	}
}
