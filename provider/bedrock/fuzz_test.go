package bedrock

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// frameLines encodes the fuzzer's text form of a ConverseStream, one
// "<:message-type> <:event-type or :exception-type> <JSON payload>" per line, as AWS
// event-stream messages with valid lengths and CRCs, so mutations reach the event handling
// behind the framing rather than dying at the checksum.
func frameLines(text []byte) []byte {
	var wire bytes.Buffer
	enc := eventstream.NewEncoder()
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		parts := bytes.SplitN(sc.Bytes(), []byte(" "), 3)
		for len(parts) < 3 {
			parts = append(parts, nil)
		}
		kind := ":event-type"
		if string(parts[0]) == "exception" {
			kind = ":exception-type"
		}
		msg := eventstream.Message{Payload: parts[2]}
		msg.Headers.Set(":message-type", eventstream.StringValue(string(parts[0])))
		msg.Headers.Set(kind, eventstream.StringValue(string(parts[1])))
		msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		if err := enc.Encode(&wire, msg); err != nil {
			return wire.Bytes() // a header value over the format's limit: keep the messages before
		}
	}
	return wire.Bytes()
}

type decoded struct {
	Chunks []llm.Chunk
	Err    string
}

// decodeWire feeds wire in pieces of n bytes (0 = whole) then ends the stream, stopping at
// the first error as the pipeline does; every error must be an upstream-class gateway error.
func decodeWire(t *testing.T, wire []byte, n int) decoded {
	t.Helper()
	d := Spec.Translator.Stream(chatCall(true, msg("user", "hi")))
	var res decoded
	step := func(chunks []llm.Chunk, err error) bool {
		res.Chunks = append(res.Chunks, chunks...)
		if err == nil {
			return false
		}
		var gerr *gateway.Error
		if !errors.As(err, &gerr) || (gerr.Code != gateway.CodeUpstream && gerr.Code != gateway.CodeRateLimited) {
			t.Fatalf("stream error %T %v is not an upstream gateway error", err, err)
		}
		res.Err = err.Error()
		return true
	}
	for len(wire) > 0 {
		k := len(wire)
		if n > 0 && n < k {
			k = n
		}
		chunks, err := d.Feed(wire[:k])
		if step(chunks, err) {
			return res
		}
		wire = wire[k:]
	}
	step(d.End())
	return res
}

// FuzzEventStream drives the ConverseStream decoder with valid event-stream framing around
// fuzzed events, and with the fuzzed bytes as raw framing: no panic, upstream-class errors
// only, the same result for any split of the bytes, chunks that re-encode to JSON.
func FuzzEventStream(f *testing.F) {
	f.Add([]byte("event messageStart {\"role\":\"assistant\"}\nevent contentBlockDelta {\"contentBlockIndex\":0,\"delta\":{\"text\":\"hi\"}}\nevent messageStop {\"stopReason\":\"end_turn\"}\nevent metadata {\"usage\":{\"inputTokens\":1,\"outputTokens\":1,\"totalTokens\":2}}\n"), uint8(3))
	f.Add([]byte("exception throttlingException {\"message\":\"slow down\"}\n"), uint8(1))
	f.Fuzz(func(t *testing.T, text []byte, split uint8) {
		for _, wire := range [][]byte{frameLines(text), text} {
			whole := decodeWire(t, wire, 0)
			pieces := decodeWire(t, wire, int(split%64)+1)
			if !reflect.DeepEqual(whole, pieces) {
				t.Fatalf("feeding in pieces of %d changed the result:\nwhole %+v\npieces %+v", split%64+1, whole, pieces)
			}
			out, err := json.Marshal(whole.Chunks)
			if err != nil {
				t.Fatalf("chunks do not re-encode: %v", err)
			}
			if len(out) > 64*len(wire)+4096 {
				t.Fatalf("%d wire bytes gave %d bytes of chunks", len(wire), len(out))
			}
		}
	})
}
