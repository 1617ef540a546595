package llm

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzChatResponseAppendJSONMatchesEncoder: AppendJSON writes what json.Encoder with HTML
// escaping off writes, byte for byte, for any strings and counts; with tool calls it declines.
func FuzzChatResponseAppendJSONMatchesEncoder(f *testing.F) {
	f.Add("chatcmpl-1", "gpt-4o-mini", "Hello <b>&</b>\n\"q\" \\ \t\x01\x7f é \u2028\u2029 \xff\xc3", "stop", int64(1796363304), int64(12), uint8(0xff), false)
	f.Add("", "", "", "", int64(-1), int64(0), uint8(0), true)
	f.Fuzz(func(t *testing.T, id, model, content, finish string, created, tokens int64, set uint8, calls bool) {
		r := &ChatResponse{ID: id, Object: "chat.completion", Created: created, Model: model}
		if set&1 != 0 {
			c := ChatChoice{Index: int(tokens), Message: ResponseMessage{Role: "assistant"}}
			if set&2 != 0 {
				c.Message.Content = &content
			}
			if set&4 != 0 {
				c.FinishReason = &finish
			}
			if calls {
				c.Message.ToolCalls = json.RawMessage(` [ {"id" : "t"} ] `)
			}
			r.Choices = []ChatChoice{c, {Index: 1, Message: ResponseMessage{Role: content}}}
		}
		if set&8 != 0 {
			r.Usage = NewUsage(tokens, created)
		}
		if set&16 != 0 {
			r.Usage.CompletionTokens = nil
		}
		got, ok := r.AppendJSON([]byte("x"))
		if calls && set&1 != 0 {
			if ok || string(got) != "x" {
				t.Fatalf("tool calls taken: %s", got)
			}
			return
		}
		var want bytes.Buffer
		want.WriteString("x")
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		if !ok || string(got)+"\n" != want.String() {
			t.Fatalf("AppendJSON %s (ok=%v)\nEncoder    %s", got, ok, want.Bytes())
		}
	})
}

// BenchmarkChatAnswerEncode compares AppendJSON with json.Encoder on make bench's answer.
func BenchmarkChatAnswerEncode(b *testing.B) {
	content, stop := "echo: How far is the moon from the earth in kilometres?", "stop"
	r := &ChatResponse{ID: "fake-1796363304123456789", Object: "chat.completion", Created: 1796363304, Model: "gpt-4o-mini",
		Choices: []ChatChoice{{Message: ResponseMessage{Role: "assistant", Content: &content}, FinishReason: &stop}}, Usage: NewUsage(11, 11)}
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := r.AppendJSON(make([]byte, 0, 512)); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("Encoder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
