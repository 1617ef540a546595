package openaicompat

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/llmgate/llmgate/internal/jsonobj"
	"github.com/llmgate/llmgate/llm"
)

// chatParams is what json.Marshal of r (without its messages) gives ChatBody, for the usual
// request: sampling parameters and stop words only. Requests with tools, a tool choice or a
// response format, or a number json.Marshal writes in exponent form, are not usual (false)
// and are marshalled. Members ChatBody replaces or drops (messages, stream, stream_options)
// are left out. FuzzChatBodyMatchesMarshal holds it to json.Marshal.
func chatParams(r *llm.ChatRequest) (map[string]json.RawMessage, bool) {
	if len(r.Tools) > 0 || r.ToolChoice != nil || r.ResponseFormat != nil {
		return nil, false
	}
	p := &r.Params
	named := make(map[string]json.RawMessage, 4)
	for _, f := range []struct {
		name string
		v    *float64
	}{{"temperature", p.Temperature}, {"top_p", p.TopP}} {
		if f.v == nil {
			continue
		}
		if abs := math.Abs(*f.v); abs != 0 && (abs < 1e-6 || abs >= 1e21) || math.IsNaN(abs) || math.IsInf(abs, 0) {
			return nil, false
		}
		named[f.name] = strconv.AppendFloat(nil, *f.v, 'f', -1, 64)
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"n", p.N}, {"max_tokens", p.MaxTokens}} {
		if f.v != nil {
			named[f.name] = strconv.AppendInt(nil, int64(*f.v), 10)
		}
	}
	if len(p.Stop) > 0 {
		stop := []byte{'['}
		for i, s := range p.Stop {
			if i > 0 {
				stop = append(stop, ',')
			}
			stop = jsonobj.AppendString(stop, s, true)
		}
		named["stop"] = append(stop, ']')
	}
	return named, true
}
