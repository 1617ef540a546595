package gemini

import (
	"bytes"

	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// DataHandler receives the data of each Server-Sent Event of a provider stream.
type DataHandler interface {
	// OnData translates one event's data (multi-line data joined with "\n").
	OnData(data []byte) ([]llm.Chunk, error)
	// Finish is called at EOF; it errors if the provider never said it was done.
	Finish() error
}

// NewSSEDecoder frames SSE incrementally (any byte split, LF or CRLF, comments and
// event/id fields ignored) and hands each event's data to h. Gemini, Vertex, Cohere and TGI
// streams all carry their meaning in the data field, so this is the one framing they share.
func NewSSEDecoder(h DataHandler) provider.StreamDecoder { return &sseDecoder{handler: h} }

type sseDecoder struct {
	handler DataHandler
	buf     []byte
	data    [][]byte
}

func (d *sseDecoder) Feed(p []byte) ([]llm.Chunk, error) {
	d.buf = append(d.buf, p...)
	var out []llm.Chunk
	for {
		i := bytes.IndexByte(d.buf, '\n')
		if i < 0 {
			return out, nil
		}
		line := bytes.TrimSuffix(d.buf[:i], []byte("\r"))
		d.buf = d.buf[i+1:]
		chunks, err := d.line(line)
		out = append(out, chunks...)
		if err != nil {
			return out, err
		}
	}
}

func (d *sseDecoder) line(line []byte) ([]llm.Chunk, error) {
	if len(line) == 0 {
		return d.dispatch()
	}
	if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
		d.data = append(d.data, bytes.Clone(bytes.TrimPrefix(v, []byte(" "))))
	}
	return nil, nil
}

func (d *sseDecoder) dispatch() ([]llm.Chunk, error) {
	if len(d.data) == 0 {
		return nil, nil
	}
	payload := bytes.Join(d.data, []byte("\n"))
	d.data = nil
	return d.handler.OnData(payload)
}

func (d *sseDecoder) End() ([]llm.Chunk, error) {
	var out []llm.Chunk
	if len(bytes.TrimSpace(d.buf)) > 0 {
		chunks, err := d.line(bytes.TrimSuffix(d.buf, []byte("\r")))
		if err != nil {
			return nil, err
		}
		out = append(out, chunks...)
		d.buf = nil
	}
	chunks, err := d.dispatch()
	out = append(out, chunks...)
	if err != nil {
		return out, err
	}
	return out, d.handler.Finish()
}
