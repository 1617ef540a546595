package fakeupstream

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Hugging Face TGI wire (huggingface.github.io/text-generation-inference): POST /generate and
// /generate_stream with {"inputs", "parameters"}, {"error", "error_type"} error bodies. The
// request names no model, so behaviours are chosen by the server URL instead: point
// hf_server_url at {fake}/tgi/<model> (e.g. /tgi/fake-hang); a bare {fake} is model "tgi".
// TGI itself has no auth: a Bearer key is only checked when one is sent (Inference
// Endpoints). TGI's Messages API (/v1/chat/completions) is the OpenAI fake's route.
func init() {
	Register(&Provider{
		Name:   "tgi",
		Routes: []string{"POST /generate", "POST /generate_stream", "POST /tgi/{model}/generate", "POST /tgi/{model}/generate_stream"},
		Model: func(r *http.Request, _ []byte) string {
			if m := r.PathValue("model"); m != "" {
				return m
			}
			return "tgi"
		},
		Credential: bearer,
		Verify: func(s *Server, r *http.Request, _ []byte) bool {
			return r.Header.Get("Authorization") == "" || s.ValidKey("tgi", bearer(r))
		},
		WriteError: writeTGIError,
		Serve:      serveTGI,
	})
}

func writeTGIError(w http.ResponseWriter, status int, message string) {
	typ := "generation"
	switch {
	case status == http.StatusTooManyRequests:
		typ, message = "overloaded", "Model is overloaded"
	case status == http.StatusUnprocessableEntity || status == http.StatusBadRequest:
		typ = "validation"
	case status == http.StatusUnauthorized:
		typ, message = "authorization", "Authorization header is correct, but the token seems invalid"
	}
	writeJSON(w, status, map[string]any{"error": message, "error_type": typ})
}

type tgiRequest struct {
	Inputs     string `json:"inputs"`
	Parameters struct {
		MaxNewTokens        int  `json:"max_new_tokens"`
		DecoderInputDetails bool `json:"decoder_input_details"`
	} `json:"parameters"`
}

func serveTGI(x *Exchange) {
	var req tgiRequest
	if err := json.Unmarshal(x.Body, &req); err != nil {
		x.Error(http.StatusUnprocessableEntity, "Failed to deserialize the JSON body into the target type")
		return
	}
	stream := strings.HasSuffix(x.R.URL.Path, "/generate_stream")
	if stream && req.Parameters.DecoderInputDetails {
		x.Error(http.StatusUnprocessableEntity, "Input validation error: `decoder_input_details` == true is not supported when streaming tokens")
		return
	}
	reply, cut := Truncate(x.Reply(req.Inputs), req.Parameters.MaxNewTokens)
	finish := "eos_token"
	if cut {
		finish = "length"
	}
	if stream {
		streamTGI(x, reply, finish, Tokens(req.Inputs))
		return
	}
	details := map[string]any{"finish_reason": finish, "generated_tokens": Tokens(reply), "seed": nil, "tokens": []any{}}
	if req.Parameters.DecoderInputDetails {
		prefill := make([]any, Tokens(req.Inputs))
		for i := range prefill {
			prefill[i] = map[string]any{"id": i, "text": "t", "logprob": nil}
		}
		details["prefill"] = prefill
	}
	body, _ := json.Marshal(map[string]any{"generated_text": reply, "details": details})
	x.Write(http.StatusOK, "application/json", body)
}

// streamTGI sends one token event per word and ends with the special end-of-sequence token
// carrying generated_text and details, as TGI does.
func streamTGI(x *Exchange, reply, finish string, inputTokens int64) {
	x.StartStream("text/event-stream")
	pieces := x.Pieces(reply)
	for i, piece := range pieces {
		b, _ := json.Marshal(map[string]any{"index": i + 1, "token": map[string]any{"id": i, "text": piece, "logprob": -0.1, "special": false}, "generated_text": nil, "details": nil})
		if !x.Send([]byte("data:" + string(b) + "\n\n")) {
			return
		}
	}
	b, _ := json.Marshal(map[string]any{"index": len(pieces) + 1, "token": map[string]any{"id": 2, "text": "</s>", "logprob": -0.01, "special": true}, "generated_text": reply,
		"details": map[string]any{"finish_reason": finish, "generated_tokens": Tokens(reply), "seed": nil, "input_length": inputTokens}})
	if x.Send([]byte("data:" + string(b) + "\n\n")) {
		x.EndStream()
	}
}
