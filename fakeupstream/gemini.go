package fakeupstream

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Gemini wire (ai.google.dev/api): POST /v1beta/models/{model}:{method} for generateContent,
// streamGenerateContent (SSE with alt=sse) and batchEmbedContents, key in x-goog-api-key (or
// the key query parameter), Google's {"error": {code, message, status, details}} envelope.
func init() {
	Register(&Provider{
		Name:       "gemini",
		Routes:     []string{"POST /v1beta/models/{target}"},
		Model:      func(r *http.Request, _ []byte) string { m, _, _ := strings.Cut(r.PathValue("target"), ":"); return m },
		Credential: geminiKey,
		WriteError: writeGeminiError,
		Serve:      serveGemini,
	})
}

func geminiKey(r *http.Request) string {
	if k := r.Header.Get("x-goog-api-key"); k != "" {
		return k
	}
	return r.URL.Query().Get("key")
}

// writeGeminiError answers as Google does: a bad key is 400 INVALID_ARGUMENT with reason
// API_KEY_INVALID, quota errors carry RetryInfo.
func writeGeminiError(w http.ResponseWriter, status int, message string) {
	e := map[string]any{"code": status, "message": message, "status": googleStatus(status)}
	switch status {
	case http.StatusUnauthorized:
		status = http.StatusBadRequest
		e = map[string]any{"code": status, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
			"details": []any{map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}}}
	case http.StatusTooManyRequests:
		e["details"] = []any{map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}}
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func googleStatus(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case status == http.StatusNotFound:
		return "NOT_FOUND"
	case status == http.StatusForbidden:
		return "PERMISSION_DENIED"
	case status == http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case status >= 500:
		return "INTERNAL"
	}
	return "INVALID_ARGUMENT"
}

type geminiRequest struct {
	Contents []struct {
		Role  string `json:"role"`
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	} `json:"contents"`
	SystemInstruction *struct {
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	} `json:"systemInstruction"`
	GenerationConfig struct {
		MaxOutputTokens int `json:"maxOutputTokens"`
		CandidateCount  int `json:"candidateCount"`
	} `json:"generationConfig"`
	Requests []struct {
		Content struct {
			Parts []struct {
				Text string `json:"text"`
			} `json:"parts"`
		} `json:"content"`
	} `json:"requests"`
}

func serveGemini(x *Exchange) {
	var req geminiRequest
	if err := json.Unmarshal(x.Body, &req); err != nil {
		x.Error(http.StatusBadRequest, "Invalid JSON payload received.")
		return
	}
	_, method, _ := strings.Cut(x.R.PathValue("target"), ":")
	switch method {
	case "generateContent", "streamGenerateContent":
		serveGeminiGenerate(x, &req, method == "streamGenerateContent")
	case "batchEmbedContents":
		embeddings := make([]any, len(req.Requests))
		for i, r := range req.Requests {
			var text strings.Builder
			for _, p := range r.Content.Parts {
				text.WriteString(p.Text)
			}
			embeddings[i] = map[string]any{"values": Embedding(text.String())}
		}
		body, _ := json.Marshal(map[string]any{"embeddings": embeddings})
		x.Write(http.StatusOK, "application/json", body)
	default:
		x.Error(http.StatusNotFound, "method "+method+" is not found")
	}
}

// geminiPrompt returns the last user turn's text and the word count of every turn.
func geminiPrompt(req *geminiRequest) (string, int64) {
	var last string
	var tokens int64
	if s := req.SystemInstruction; s != nil {
		for _, p := range s.Parts {
			tokens += Tokens(p.Text)
		}
	}
	for _, c := range req.Contents {
		var text strings.Builder
		for _, p := range c.Parts {
			text.WriteString(p.Text)
			tokens += Tokens(p.Text)
		}
		if c.Role == "user" {
			last = text.String()
		}
	}
	return last, tokens
}

func serveGeminiGenerate(x *Exchange, req *geminiRequest, stream bool) {
	prompt, promptTokens := geminiPrompt(req)
	reply, cut := Truncate(x.Reply(prompt), req.GenerationConfig.MaxOutputTokens)
	finish := "STOP"
	if cut {
		finish = "MAX_TOKENS"
	}
	n := max(req.GenerationConfig.CandidateCount, 1)
	usage := map[string]int64{"promptTokenCount": promptTokens, "candidatesTokenCount": int64(n) * Tokens(reply), "totalTokenCount": promptTokens + int64(n)*Tokens(reply)}
	if stream {
		streamGemini(x, reply, finish, promptTokens, usage)
		return
	}
	candidates := make([]any, n)
	for i := range candidates {
		candidates[i] = geminiCandidate(i, reply, finish)
	}
	body, _ := json.Marshal(map[string]any{"candidates": candidates, "usageMetadata": usage, "modelVersion": x.Model, "responseId": "fake-gemini"})
	x.Write(http.StatusOK, "application/json", body)
}

func geminiCandidate(index int, text, finish string) map[string]any {
	c := map[string]any{"index": index, "content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": text}}}}
	if finish != "" {
		c["finishReason"] = finish
	}
	return c
}

// streamGemini sends one SSE event per word, CRLF-framed as Google does; the last event
// carries finishReason and the final usage.
func streamGemini(x *Exchange, reply, finish string, promptTokens int64, usage map[string]int64) {
	pieces := x.Pieces(reply)
	if len(pieces) == 0 {
		pieces = []string{""}
	}
	x.StartStream("text/event-stream")
	for i, piece := range pieces {
		u := map[string]int64{"promptTokenCount": promptTokens, "totalTokenCount": promptTokens}
		f := ""
		if i == len(pieces)-1 {
			u, f = usage, finish
		}
		b, _ := json.Marshal(map[string]any{"candidates": []any{geminiCandidate(0, piece, f)}, "usageMetadata": u, "modelVersion": x.Model, "responseId": "fake-gemini"})
		if !x.Send([]byte("data: " + string(b) + "\r\n\r\n")) {
			return
		}
	}
	x.EndStream()
}
