package sse

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// feedAll feeds input split into pieces of size n (n<=0: one piece) and collects every event,
// including the one End releases. Each piece is fed from one reused buffer that is scribbled
// over after each Feed, as a reader's buffer is by the next read: nothing the parser returns
// or keeps may point into it.
func feedAll(t *testing.T, input []byte, n int) []Event {
	t.Helper()
	var p Parser
	var out []Event
	pieces := [][]byte{input}
	if n > 0 {
		pieces = nil
		for i := 0; i < len(input); i += n {
			pieces = append(pieces, input[i:min(i+n, len(input))])
		}
	}
	scratch := make([]byte, len(input))
	for _, piece := range pieces {
		buf := scratch[:copy(scratch, piece)]
		evs, err := p.Feed(buf)
		if err != nil {
			t.Fatalf("Feed: %v", err)
		}
		out = append(out, evs...)
		for i := range buf {
			buf[i] = '#'
		}
	}
	if ev, ok := p.End(); ok {
		out = append(out, ev)
	}
	return out
}

func TestParser(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []Event
	}{
		{
			name:  "OpenAI chat stream (platform.openai.com/docs/api-reference/chat-streaming)",
			input: "data: {\"id\":\"c1\"}\n\ndata: [DONE]\n\n",
			want:  []Event{{Data: []byte(`{"id":"c1"}`)}, {Data: []byte("[DONE]")}},
		},
		{
			name: "Anthropic named events with CRLF (docs.anthropic.com/en/api/messages-streaming)",
			input: "event: message_start\r\ndata: {\"type\":\"message_start\"}\r\n\r\n" +
				"event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n",
			want: []Event{
				{Event: "message_start", Data: []byte(`{"type":"message_start"}`)},
				{Event: "ping", Data: []byte(`{"type": "ping"}`)},
			},
		},
		{
			name:  "multi-line data joined with LF, comments skipped, lone CR line ends",
			input: ": keep-alive\rdata: a\rdata:b\r\rid: 7\ndata\n\n",
			want:  []Event{{Data: []byte("a\nb")}, {ID: "7", Data: []byte("")}},
		},
		{
			name:  "event without data is not dispatched",
			input: "event: ping\n\ndata: x\n\n",
			want:  []Event{{Data: []byte("x")}},
		},
		{
			name:  "only the first space after the colon is stripped",
			input: "data:   two spaces\n\n",
			want:  []Event{{Data: []byte("  two spaces")}},
		},
		{
			name:  "unterminated last event is released at End",
			input: "data: {\"a\":1}\n\ndata: tail",
			want:  []Event{{Data: []byte(`{"a":1}`)}, {Data: []byte("tail")}},
		},
		{
			name:  "leading byte-order mark is skipped",
			input: "\xEF\xBB\xBFdata: bom\n\n",
			want:  []Event{{Data: []byte("bom")}},
		},
		{
			name:  "unicode payload survives any split",
			input: "data: {\"text\":\"héllo 世界 🎉\"}\n\n",
			want:  []Event{{Data: []byte(`{"text":"héllo 世界 🎉"}`)}},
		},
	}
	for _, tt := range tests {
		for _, n := range []int{0, 1, 2, 3, 7} {
			got := feedAll(t, []byte(tt.input), n)
			if !reflect.DeepEqual(normalize(got), normalize(tt.want)) {
				t.Errorf("%s (piece size %d):\n got %q\nwant %q", tt.name, n, got, tt.want)
			}
		}
	}
}

// normalize makes nil and empty data compare equal.
func normalize(evs []Event) []Event {
	out := make([]Event, len(evs))
	for i, ev := range evs {
		if ev.Data == nil {
			ev.Data = []byte{}
		}
		out[i] = ev
	}
	return out
}

func TestParserCRLFSplitBetweenFeeds(t *testing.T) {
	var p Parser
	evs, err := p.Feed([]byte("data: x\r"))
	if err != nil || len(evs) != 0 {
		t.Fatalf("after CR: %v %v", evs, err)
	}
	// The LF completes the CRLF pair: it must not count as a second (blank) line.
	evs, _ = p.Feed([]byte("\ndata: y\r\n\r\n"))
	if len(evs) != 1 || string(evs[0].Data) != "x\ny" {
		t.Fatalf("got %q, want one event with data x\\ny", evs)
	}
}

func TestParserLimit(t *testing.T) {
	p := Parser{MaxLine: 16}
	_, err := p.Feed(bytes.Repeat([]byte("a"), 17))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("long line: err = %v, want ErrTooLarge", err)
	}
	p = Parser{MaxLine: 16}
	_, err = p.Feed([]byte("data: 0123456789\ndata: 0123456789\n"))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("long event: err = %v, want ErrTooLarge", err)
	}
}

// FuzzParser checks that any split of any input yields the same events as feeding it whole,
// and that nothing panics.
func FuzzParser(f *testing.F) {
	f.Add([]byte("data: a\r\n\r\nevent: e\ndata: b\ndata: c\n\n: c\rdata: d\r\r"), uint8(3))
	f.Add([]byte("\xEF\xBB\xBFdata:x\n\n"), uint8(1))
	f.Fuzz(func(t *testing.T, input []byte, split uint8) {
		whole := feedAll(t, input, 0)
		pieces := feedAll(t, input, int(split%16)+1)
		if !reflect.DeepEqual(normalize(whole), normalize(pieces)) {
			t.Fatalf("split %d changed the events:\nwhole %q\nsplit %q", split%16+1, whole, pieces)
		}
	})
}
