package openai_test

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/llm"
)

// TestChatAnswerIsWrittenAsWriteAnswerWritesIt: the OpenAI surface's direct writing of a chat
// answer gives the status, headers and bytes httpkit.WriteAnswer gives, tool calls included
// (those still go through it).
func TestChatAnswerIsWrittenAsWriteAnswerWritesIt(t *testing.T) {
	content, stop := "Fine <b>&</b> \"x\"\n", "stop"
	answers := []*llm.ChatResponse{
		{ID: "c", Object: "chat.completion", Created: 1, Model: "m", Usage: llm.NewUsage(1, 2),
			Choices: []llm.ChatChoice{{Message: llm.ResponseMessage{Role: "assistant", Content: &content}, FinishReason: &stop}}},
		{ID: "c", Object: "chat.completion", Model: "m",
			Choices: []llm.ChatChoice{{Message: llm.ResponseMessage{Role: "assistant", ToolCalls: json.RawMessage(`[ {"id":"t"} ]`)}}}},
	}
	for _, a := range answers {
		got, want := httptest.NewRecorder(), httptest.NewRecorder()
		openai.Surface{}.WriteResponse(got, &llm.Response{Chat: a})
		httpkit.WriteAnswer(want, &llm.Response{Chat: a})
		if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || got.Body.String() != want.Body.String() {
			t.Errorf("surface wrote %d %v %q\nWriteAnswer %d %v %q", got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
		}
	}
}
