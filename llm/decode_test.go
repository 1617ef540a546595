package llm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

func TestDecodeRejectsLikeMLflow(t *testing.T) {
	cases := []struct {
		name  string
		typ   gateway.EndpointType
		body  string
		field string
	}{
		{"temperature above 2", gateway.TypeChat, `{"messages":[{"role":"user","content":"hi"}],"temperature":2.5}`, "temperature"},
		{"temperature negative", gateway.TypeCompletions, `{"prompt":"hi","temperature":-0.1}`, "temperature"},
		{"temperature as string", gateway.TypeChat, `{"messages":[{"role":"user","content":"hi"}],"temperature":"0.5"}`, "temperature"},
		{"n zero", gateway.TypeChat, `{"messages":[{"role":"user","content":"hi"}],"n":0}`, "n"},
		{"n fractional", gateway.TypeChat, `{"messages":[{"role":"user","content":"hi"}],"n":1.5}`, "n"},
		{"max_tokens zero", gateway.TypeCompletions, `{"prompt":"hi","max_tokens":0}`, "max_tokens"},
		{"max_completion_tokens zero", gateway.TypeChat, `{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":0}`, "max_completion_tokens"},
		{"stop empty list", gateway.TypeChat, `{"messages":[{"role":"user","content":"hi"}],"stop":[]}`, "stop"},
		{"stop bare string", gateway.TypeCompletions, `{"prompt":"hi","stop":"."}`, "stop"},
		{"stop list of numbers", gateway.TypeCompletions, `{"prompt":"hi","stop":[1]}`, "stop"},
		{"messages empty", gateway.TypeChat, `{"messages":[]}`, "messages"},
		{"messages missing", gateway.TypeChat, `{"input":["a"]}`, "messages"},
		{"messages not a list", gateway.TypeChat, `{"messages":"hi"}`, "messages"},
		{"message without role", gateway.TypeChat, `{"messages":[{"content":"hi"}]}`, "messages.0.role"},
		{"message content a number", gateway.TypeChat, `{"messages":[{"role":"user","content":"a"},{"role":"user","content":3}]}`, "messages.1.content"},
		{"message not an object", gateway.TypeChat, `{"messages":["hi"]}`, "messages.0"},
		{"tools empty", gateway.TypeChat, `{"messages":[{"role":"user","content":"hi"}],"tools":[]}`, "tools"},
		{"prompt list", gateway.TypeCompletions, `{"prompt":["a","b"]}`, "prompt"},
		{"prompt missing", gateway.TypeCompletions, `{"messages":[{"role":"user","content":"hi"}]}`, "prompt"},
		{"input missing (chat body on embeddings)", gateway.TypeEmbeddings, `{"messages":[{"role":"user","content":"hi"}]}`, "input"},
		{"input empty list", gateway.TypeEmbeddings, `{"input":[]}`, "input"},
		{"input numbers", gateway.TypeEmbeddings, `{"input":[1,2]}`, "input"},
		{"stream not bool", gateway.TypeChat, `{"messages":[{"role":"user","content":"hi"}],"stream":"yes"}`, "stream"},
		{"body is a list", gateway.TypeChat, `[{"role":"user"}]`, ""},
		{"body malformed", gateway.TypeChat, `{"messages":`, ""},
		{"body empty", gateway.TypeEmbeddings, ``, ""},
		{"n above the cap", gateway.TypeChat, `{"messages":[{"role":"user","content":"hi"}],"n":10000}`, "n"},
		{"max_tokens absurd", gateway.TypeCompletions, `{"prompt":"hi","max_tokens":1000000000}`, "max_tokens"},
		{"max_completion_tokens absurd", gateway.TypeChat, `{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":2000000}`, "max_completion_tokens"},
		{"role unknown", gateway.TypeChat, `{"messages":[{"role":"user","content":"a"},{"role":"wizard","content":"b"}]}`, "messages.1.role"},
		{"role not a string", gateway.TypeChat, `{"messages":[{"role":7,"content":"b"}]}`, "messages.0"},
		{"too many messages", gateway.TypeChat, `{"messages":[` + repeat(`{"role":"user","content":"a"}`, MaxMessages+1) + `]}`, "messages"},
		{"too many tools", gateway.TypeChat, `{"messages":[{"role":"user","content":"a"}],"tools":[` + repeat(`{"type":"function"}`, MaxTools+1) + `]}`, "tools"},
		{"tools not a list", gateway.TypeChat, `{"messages":[{"role":"user","content":"a"}],"tools":{"a":1}}`, "tools"},
		{"too many embedding inputs", gateway.TypeEmbeddings, `{"input":[` + repeat(`"a"`, MaxEmbeddingInputs+1) + `]}`, "input"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := Decode(c.typ, []byte(c.body))
			if err == nil {
				t.Fatalf("Decode accepted %s: %+v", c.body, req)
			}
			if err.Code != gateway.CodeUnprocessable || err.Field != c.field {
				t.Fatalf("got code %q field %q (%s), want unprocessable field %q", err.Code, err.Field, err.Message, c.field)
			}
		})
	}
}

func repeat(item string, n int) string {
	return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
}

func TestDecodeAcceptsInputsAtTheCaps(t *testing.T) {
	bodies := map[gateway.EndpointType]string{
		gateway.TypeChat: `{"n":128,"max_tokens":1000000,"messages":[` + repeat(`{"role":"developer","content":"a"}`, MaxMessages) +
			`],"tools":[` + repeat(`{"type":"function","function":{"name":"f"}}`, MaxTools) + `]}`,
		gateway.TypeEmbeddings: `{"input":[` + repeat(`"a"`, MaxEmbeddingInputs) + `]}`,
	}
	for typ, body := range bodies {
		if _, err := Decode(typ, []byte(body)); err != nil {
			t.Errorf("%s at the caps refused: %s %s", typ, err.Field, err.Message)
		}
	}
}

func TestDecodeSaysWhereJSONIsMalformed(t *testing.T) {
	cases := map[string]string{
		`  {"messages": [}`:     "Invalid JSON at offset 16: invalid character '}' looking for beginning of value",
		`{"messages": [{"role"`: "Invalid JSON at offset 21: unexpected end of JSON input",
	}
	for body, want := range cases {
		_, err := Decode(gateway.TypeChat, []byte(body))
		if err == nil || err.Message != want {
			t.Errorf("%s: got %+v, want %q", body, err, want)
		}
	}
	if _, err := ModelName([]byte(`{"model": 3}`)); err == nil || err.Field != "model" {
		t.Errorf("numeric model: %v", err)
	}
	if name, err := ModelName([]byte(` {"model":"m","x":[1,2]}`)); err != nil || name != "m" {
		t.Errorf("ModelName: %q %v", name, err)
	}
}

func TestDecodeChatKeepsFieldsAndExtras(t *testing.T) {
	// What LangChain's ChatMlflow sends with bind_tools, plus extras MLflow forwards.
	body := `{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi","name":"ann"},
		{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
		{"role":"tool","content":"42","tool_call_id":"c1"}],
		"temperature":2,"n":1,"stop":["\n"],"max_tokens":16,"top_p":0.5,"user":"u-1","model":"ignored",
		"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto",
		"stream":true,"stream_options":{"include_usage":true}}`
	req, err := Decode(gateway.TypeChat, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	c := req.Chat
	if req.Type != gateway.TypeChat || c == nil || len(c.Messages) != 4 {
		t.Fatalf("bad request: %+v", req)
	}
	if c.Messages[1].Name != "ann" || c.Messages[3].ToolCallID != "c1" || len(c.Messages[2].ToolCalls) == 0 {
		t.Fatalf("message fields lost: %+v", c.Messages)
	}
	if *c.Temperature != 2 || *c.N != 1 || *c.MaxTokens != 16 || *c.TopP != 0.5 || c.Stop[0] != "\n" {
		t.Fatalf("params lost: %+v", c.Params)
	}
	if !req.Stream() || !c.StreamOptions.IncludeUsage || c.ToolChoice.Mode != ToolChoiceAuto {
		t.Fatalf("stream/tool fields lost: %+v", c)
	}
	if string(c.Extra["user"]) != `"u-1"` || len(c.Extra) != 1 {
		t.Fatalf("extras = %v, want only user (model dropped)", c.Extra)
	}
}

func TestDecodeOmittedTemperatureStaysOmitted(t *testing.T) {
	req, err := Decode(gateway.TypeCompletions, []byte(`{"prompt":"One small step for","max_tokens":8,"stop":["."]}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Completion.Temperature != nil || req.Completion.Prompt != "One small step for" {
		t.Fatalf("got %+v", req.Completion)
	}
	if _, err := Decode(gateway.TypeCompletions, []byte(`{"prompt":"x","temperature":null,"n":1.0}`)); err != nil {
		t.Fatalf("null temperature and integral float n must pass: %v", err)
	}
}

func TestDecodeEmbeddings(t *testing.T) {
	req, err := Decode(gateway.TypeEmbeddings, []byte(`{"input":"alpha","input_type":"search_query","stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	e := req.Embeddings
	if !e.InputIsString || len(e.Input) != 1 || e.Input[0] != "alpha" || req.Stream() {
		t.Fatalf("got %+v", e)
	}
	if _, ok := e.Extra["stream"]; ok || string(e.Extra["input_type"]) != `"search_query"` {
		t.Fatalf("extras = %v", e.Extra)
	}
	req, err = Decode(gateway.TypeEmbeddings, []byte(`{"input":["alpha","beta"]}`))
	if err != nil || req.Embeddings.InputIsString || len(req.Embeddings.Input) != 2 {
		t.Fatalf("list input: %+v %v", req, err)
	}
}

func TestDecodeOpenAIAcceptsBareStop(t *testing.T) {
	req, err := DecodeOpenAI(gateway.TypeChat, []byte(`{"model":"chat","messages":[{"role":"user","content":"hi"}],"stop":"END"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Chat.Stop) != 1 || req.Chat.Stop[0] != "END" {
		t.Fatalf("stop = %v", req.Chat.Stop)
	}
	if _, err := DecodeOpenAI(gateway.TypeChat, []byte(`{"messages":[{"role":"user","content":"hi"}],"stop":[]}`)); err == nil {
		t.Fatal("empty stop list accepted")
	}
}

func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{"messages":[{"role":"user","content":"hi"}],"temperature":0.2}`,
		`{"prompt":"p","stop":["a"],"n":2}`,
		`{"input":["a","b"]}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"tools":[{}]}`,
		`{"messages":[null]}`, `{"input":null}`, `[]`, `{`, `"x"`, ``,
	}
	for _, s := range seeds {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, body string, which uint8) {
		typ := gateway.EndpointTypes[int(which)%len(gateway.EndpointTypes)]
		for _, decode := range []func(gateway.EndpointType, []byte) (*Request, *gateway.Error){Decode, DecodeOpenAI} {
			req, err := decode(typ, []byte(body))
			if err != nil {
				if err.Code != gateway.CodeUnprocessable {
					t.Fatalf("error code %q for %q", err.Code, body)
				}
				continue
			}
			set := map[gateway.EndpointType]bool{gateway.TypeChat: req.Chat != nil,
				gateway.TypeCompletions: req.Completion != nil, gateway.TypeEmbeddings: req.Embeddings != nil}
			if req.Type != typ || !set[typ] {
				t.Fatalf("type mismatch for %q: %+v", body, req)
			}
			if !json.Valid([]byte(body)) {
				t.Fatalf("accepted invalid JSON %q", body)
			}
		}
	})
}
