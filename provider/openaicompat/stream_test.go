package openaicompat

import (
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// run feeds transcript whole and byte-by-byte and requires both to give the same result.
func run(t *testing.T, newDec func() provider.StreamDecoder, transcript string) ([]llm.Chunk, error) {
	t.Helper()
	whole, errWhole := collect(newDec(), []string{transcript})
	var bytesOneByOne []string
	for i := range len(transcript) {
		bytesOneByOne = append(bytesOneByOne, transcript[i:i+1])
	}
	split, errSplit := collect(newDec(), bytesOneByOne)
	if text(whole) != text(split) || len(whole) != len(split) || (errWhole == nil) != (errSplit == nil) {
		t.Fatalf("byte-by-byte differs from whole: %q/%v vs %q/%v", text(split), errSplit, text(whole), errWhole)
	}
	return whole, errWhole
}

func collect(d provider.StreamDecoder, pieces []string) ([]llm.Chunk, error) {
	var out []llm.Chunk
	for _, p := range pieces {
		c, err := d.Feed([]byte(p))
		out = append(out, c...)
		if err != nil {
			return out, err
		}
	}
	c, err := d.End()
	return append(out, c...), err
}

func text(chunks []llm.Chunk) string {
	var b strings.Builder
	for _, c := range chunks {
		for _, ch := range c.Choices {
			b.WriteString(ch.Content)
		}
	}
	return b.String()
}

func openaiDecoder() provider.StreamDecoder { return NewStreamDecoder("openai") }

// Transcript shape from platform.openai.com/docs/api-reference/chat-streaming with
// stream_options.include_usage (final chunk has empty choices and the usage).
const chatTranscript = `data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Héllo"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" 世界"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}

data: [DONE]

`

func TestStreamChat(t *testing.T) {
	chunks, err := run(t, openaiDecoder, chatTranscript)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 5 || text(chunks) != "Héllo 世界" {
		t.Fatalf("got %d chunks, text %q", len(chunks), text(chunks))
	}
	if chunks[0].Choices[0].Role != "assistant" || chunks[0].ID != "chatcmpl-123" || chunks[0].Created != 1694268190 {
		t.Errorf("first chunk = %+v", chunks[0])
	}
	if chunks[3].Choices[0].FinishReason != "stop" {
		t.Errorf("finish chunk = %+v", chunks[3])
	}
	last := chunks[4]
	if len(last.Choices) != 0 || last.Usage == nil || *last.Usage.TotalTokens != 12 {
		t.Errorf("usage chunk = %+v", last)
	}
}

func TestStreamLegacyCompletions(t *testing.T) {
	// platform.openai.com/docs/api-reference/completions/create (stream): text in choices[].text.
	transcript := "data: {\"id\":\"cmpl-7\",\"object\":\"text_completion\",\"created\":1690759702,\"choices\":[{\"text\":\" man\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}],\"model\":\"gpt-3.5-turbo-instruct\"}\r\n\r\n" +
		"data: {\"id\":\"cmpl-7\",\"object\":\"text_completion\",\"created\":1690759702,\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}],\"model\":\"gpt-3.5-turbo-instruct\"}\r\n\r\n" +
		"data: [DONE]\r\n\r\n"
	chunks, err := run(t, openaiDecoder, transcript)
	if err != nil || text(chunks) != " man" || chunks[1].Choices[0].FinishReason != "length" {
		t.Fatalf("chunks=%+v err=%v", chunks, err)
	}
}

func TestStreamWithoutDoneEndsCleanlyAfterFinish(t *testing.T) {
	// MLflow-style servers end the body without [DONE]; a finish_reason means it completed.
	transcript := `data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}

data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`
	if _, err := run(t, openaiDecoder, transcript); err != nil {
		t.Fatal(err)
	}
}

func TestStreamTruncated(t *testing.T) {
	transcript := `data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}

`
	_, err := run(t, openaiDecoder, transcript)
	if gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Fatalf("truncated stream: err = %v, want upstream", err)
	}
}

func TestStreamErrorEvent(t *testing.T) {
	transcript := `data: {"error":{"message":"The server had an error while processing your request.","type":"server_error"}}

`
	_, err := run(t, openaiDecoder, transcript)
	if gateway.ErrorCode(err) != gateway.CodeUpstream || !strings.Contains(gateway.ErrorMessage(err), "server had an error") {
		t.Fatalf("err = %v", err)
	}
}

func TestStreamGarbage(t *testing.T) {
	_, err := run(t, openaiDecoder, "data: {not json\n\n")
	if gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Fatalf("err = %v", err)
	}
}
