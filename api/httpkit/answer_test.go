package httpkit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/llmgate/llmgate/llm"
)

// TestChatAnswerIsWrittenAsWriteJSONWritesIt: WriteAnswer writes a chat answer without
// reflection for the MLflow and OpenAI surfaces alike; the status, headers and bytes are those
// WriteJSON (encoding/json) gives, tool calls included (those still go through it).
func TestChatAnswerIsWrittenAsWriteJSONWritesIt(t *testing.T) {
	content, stop := "Fine <b>&</b> \"x\"\n é \u2028", "stop"
	answers := []*llm.ChatResponse{
		{ID: "c", Object: "chat.completion", Created: 1, Model: "m", Usage: llm.NewUsage(1, 2),
			Choices: []llm.ChatChoice{{Message: llm.ResponseMessage{Role: "assistant", Content: &content}, FinishReason: &stop}}},
		{ID: "c", Object: "chat.completion", Model: "m",
			Choices: []llm.ChatChoice{{Message: llm.ResponseMessage{Role: "assistant", ToolCalls: json.RawMessage(`[ {"id":"t"} ]`)}}}},
	}
	for _, a := range answers {
		got, want := httptest.NewRecorder(), httptest.NewRecorder()
		WriteAnswer(got, &llm.Response{Chat: a})
		WriteJSON(want, http.StatusOK, a)
		if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || got.Body.String() != want.Body.String() {
			t.Errorf("WriteAnswer wrote %d %v %q\nWriteJSON %d %v %q", got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
		}
	}
}
