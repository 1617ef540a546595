package gemini

import (
	"bytes"

	"github.com/llmgate/llmgate/llm"
)

// sseDecoder frames Server-Sent Events incrementally and hands each event's data to state.
type sseDecoder struct {
	state *streamState
	buf   []byte
	data  [][]byte
}

func newSSEDecoder(s *streamState) *sseDecoder { return &sseDecoder{state: s} }

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
	return d.state.onData(payload)
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
	return out, d.state.end()
}
