package bedrock

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

// Event-stream framing limits: a message is at least its prelude (12 bytes) and trailing
// CRC (4); AWS caps messages at 16 MiB.
const (
	minMessage = 16
	maxMessage = 16 << 20
)

// streamDecoder re-frames ConverseStream's application/vnd.amazon.eventstream body. Bytes
// are buffered until a whole message (length from its prelude) is present, which is then
// decoded and CRC-checked by aws-sdk-go-v2's eventstream decoder.
type streamDecoder struct {
	model   string
	dec     *eventstream.Decoder
	buf     []byte
	stopped bool // messageStop seen
	// toolCalls maps a toolUse content block's index to its ordinal among tool calls, the
	// index OpenAI's tool_calls deltas carry.
	toolCalls map[int]int
}

func newStreamDecoder(model string) provider.StreamDecoder {
	return &streamDecoder{model: model, dec: eventstream.NewDecoder()}
}

func (d *streamDecoder) Feed(p []byte) ([]llm.Chunk, error) {
	d.buf = append(d.buf, p...)
	var out []llm.Chunk
	consumed := false
	for len(d.buf) >= 4 {
		total := int(binary.BigEndian.Uint32(d.buf))
		if total < minMessage || total > maxMessage {
			return out, malformedStream(fmt.Errorf("event-stream message length %d out of range", total))
		}
		if len(d.buf) < total {
			break
		}
		msg, err := d.dec.Decode(bytes.NewReader(d.buf[:total]), nil)
		if err != nil {
			return out, malformedStream(err)
		}
		d.buf = d.buf[total:]
		consumed = true
		chunks, err := d.message(msg)
		out = append(out, chunks...)
		if err != nil {
			return out, err
		}
	}
	if consumed {
		// Drop the decoded messages' bytes; a message still arriving is not copied again on
		// every read, so a large one costs linear time.
		d.buf = append([]byte(nil), d.buf...)
	}
	return out, nil
}

// End requires messageStop: without it the answer was cut off. Usage (metadata) follows
// messageStop and is optional.
func (d *streamDecoder) End() ([]llm.Chunk, error) {
	if !d.stopped || len(d.buf) > 0 {
		return nil, gateway.Wrap(gateway.CodeUpstream, errors.New("event stream ended before messageStop"),
			"upstream stream ended before the answer was complete")
	}
	return nil, nil
}

func header(msg eventstream.Message, name string) string {
	if v := msg.Headers.Get(name); v != nil {
		return v.String()
	}
	return ""
}

func (d *streamDecoder) message(msg eventstream.Message) ([]llm.Chunk, error) {
	switch header(msg, ":message-type") {
	case "exception", "error":
		return nil, d.exception(msg)
	case "event":
	default:
		return nil, nil
	}
	var ev struct {
		Role       string `json:"role"`
		BlockIndex int    `json:"contentBlockIndex"`
		Start      *struct {
			ToolUse *struct {
				ToolUseID string `json:"toolUseId"`
				Name      string `json:"name"`
			} `json:"toolUse"`
		} `json:"start"`
		Delta *struct {
			Text    *string `json:"text"`
			ToolUse *struct {
				Input string `json:"input"`
			} `json:"toolUse"`
		} `json:"delta"`
		StopReason string         `json:"stopReason"`
		Usage      *converseUsage `json:"usage"`
	}
	if err := json.Unmarshal(msg.Payload, &ev); err != nil {
		return nil, malformedStream(err)
	}
	chunk := llm.Chunk{Model: d.model}
	switch header(msg, ":event-type") {
	case "messageStart":
		chunk.Choices = []llm.ChunkChoice{{Role: orAssistant(ev.Role)}}
	case "contentBlockStart":
		if ev.Start == nil || ev.Start.ToolUse == nil {
			return nil, nil // only toolUse blocks announce themselves with content
		}
		choice, err := d.toolCallStart(ev.BlockIndex, ev.Start.ToolUse.ToolUseID, ev.Start.ToolUse.Name)
		if err != nil {
			return nil, err
		}
		chunk.Choices = []llm.ChunkChoice{choice}
	case "contentBlockDelta":
		switch {
		case ev.Delta != nil && ev.Delta.Text != nil:
			chunk.Choices = []llm.ChunkChoice{{Content: *ev.Delta.Text}}
		case ev.Delta != nil && ev.Delta.ToolUse != nil:
			choice, err := d.toolCallArguments(ev.BlockIndex, ev.Delta.ToolUse.Input)
			if err != nil {
				return nil, err
			}
			chunk.Choices = []llm.ChunkChoice{choice}
		default:
			return nil, nil // reasoning deltas carry no answer text
		}
	case "messageStop":
		d.stopped = true
		chunk.Choices = []llm.ChunkChoice{{FinishReason: finishReason(ev.StopReason)}}
	case "metadata":
		u := ev.Usage.canonical()
		chunk.Usage = &u
	default:
		return nil, nil // contentBlockStop
	}
	return []llm.Chunk{chunk}, nil
}

func orAssistant(role string) string {
	if role == "" {
		return "assistant"
	}
	return role
}

// exception maps a stream exception (the request was accepted, so it is the provider's
// failure, except throttling which keeps its rate-limit meaning).
func (d *streamDecoder) exception(msg eventstream.Message) error {
	kind := header(msg, ":exception-type")
	text, ok := kit.SafeMessage(kit.ProviderMessage(msg.Payload))
	if !ok {
		text = "no details"
	}
	if kind == "throttlingException" {
		return gateway.Errorf(gateway.CodeRateLimited, "bedrock rate limit exceeded, retry later")
	}
	return gateway.Errorf(gateway.CodeUpstream, "bedrock stream failed (%s): %s", kind, text)
}

func malformedStream(err error) *gateway.Error {
	return gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream stream")
}
