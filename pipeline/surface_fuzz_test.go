package pipeline_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/llmgate/llmgate/api/anthropic"
	"github.com/llmgate/llmgate/api/mlflow"
	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/api/responses"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/provider"
	providerAnthropic "github.com/llmgate/llmgate/provider/anthropic"
	providerOpenAI "github.com/llmgate/llmgate/provider/openai"
)

// fuzzSurfaces are the query surfaces whose Decode reads callers' bodies.
var fuzzSurfaces = []pipeline.Surface{mlflow.Surface{}, openai.Surface{}, anthropic.Surface{}, responses.Surface{}}

// FuzzSurfaceDecode feeds any body to every query surface's request decoder, as the pipeline
// does for every endpoint type: a refusal is a 4xx in that surface's own statuses, and an
// accepted request is of the asked type and re-encodes into an upstream body (OpenAI and
// Anthropic wires) that is valid JSON and not out of proportion to the caller's body.
func FuzzSurfaceDecode(f *testing.F) {
	for i, seed := range []string{
		`{"messages":[{"role":"user","content":"hi"}],"temperature":0.5,"max_tokens":20,"stop":["x"]}`,
		`{"model":"chat","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"stream":true}`,
		`{"model":"chat","max_tokens":64,"system":[{"type":"text","text":"be brief"}],"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}`,
		`{"model":"chat","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}],"instructions":"be brief","max_output_tokens":32}`,
		`{"prompt":"p","n":2}`, `{"input":["a","b"]}`, `{"model":"chat","input":"hello"}`,
	} {
		f.Add(uint8(i), uint8(0), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, which, typ uint8, body []byte) {
		s := fuzzSurfaces[int(which)%len(fuzzSurfaces)]
		et := gateway.EndpointTypes[int(typ)%len(gateway.EndpointTypes)]
		req, gerr := s.Decode(et, body)
		if gerr != nil {
			if st := s.ErrorStatus(gerr); st < 400 || st > 499 || gerr.Code == gateway.CodeInternal {
				t.Fatalf("%s refused a body with %d (%s): %v", s.API(), st, gerr.Code, gerr)
			}
			return
		}
		if req == nil || req.Type != et {
			t.Fatalf("%s: %s request decoded as %+v", s.API(), et, req)
		}
		for name, tr := range map[string]provider.Translator{"openai": providerOpenAI.Spec.Translator, "anthropic": providerAnthropic.Spec.Translator} {
			hr, err := tr.Request(&provider.Call{Type: et, Model: "m", Config: map[string]string{"openai_api_key": "k", "anthropic_api_key": "k"}, Req: req})
			if err != nil {
				var ge *gateway.Error
				if !errors.As(err, &ge) || ge.Code != gateway.CodeInvalid {
					t.Fatalf("%s → %s: %T %v is not an invalid-request gateway error", s.API(), name, err, err)
				}
				continue
			}
			if !json.Valid(hr.Body) {
				t.Fatalf("%s → %s: upstream body is not JSON: %.300s", s.API(), name, hr.Body)
			}
			if len(hr.Body) > 16*len(body)+4096 {
				t.Fatalf("%s → %s: %d-byte body became %d upstream bytes", s.API(), name, len(body), len(hr.Body))
			}
		}
	})
}
