package pipeline_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

var chatBody = map[string]any{"messages": []map[string]string{{"role": "user", "content": "Say hi"}}, "temperature": 0.2}

// requiredMetadata is every access-event field docs/contract/product.md names.
var requiredMetadata = []string{"accessedByUsername", "accessedByUserId", "endpointName", "endpointId",
	"endpointType", "modelProvider", "modelName", "outcome", "httpStatus", "latencyMs", "promptTokens",
	"completionTokens", "totalTokens", "stream", "requestId", "clientIp", "userAgent", "api"}

func onlyEvent(t *testing.T, env *pipelinetest.Env, endpoint string) gateway.AuditEvent {
	t.Helper()
	evs := env.AccessEvents(endpoint)
	if len(evs) != 1 {
		t.Fatalf("want 1 access event for %s, got %d: %+v", endpoint, len(evs), evs)
	}
	for _, k := range requiredMetadata {
		if _, ok := evs[0].Metadata[k]; !ok {
			t.Errorf("access event lacks metadata %q: %v", k, evs[0].Metadata)
		}
	}
	return evs[0]
}

func TestChatSuccessIsAuditedWithEveryField(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	uid, key := env.User("johndoe")
	ep := env.Endpoint("chat", gateway.TypeChat, "gpt-4o-mini", nil)

	status, hdr, body := env.Do("POST", "/endpoints/chat/invocations", key, chatBody)
	if status != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %s: %s", status, hdr.Get("Content-Type"), body)
	}
	var resp struct {
		Object  string
		Model   string
		Created int64
		Choices []struct {
			Message struct{ Role, Content string }
		}
		Usage struct {
			TotalTokens int64 `json:"total_tokens"`
		}
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Object != "chat.completion" || resp.Choices[0].Message.Content != "echo: Say hi" || resp.Model != "gpt-4o-mini" || resp.Usage.TotalTokens != 5 {
		t.Fatalf("unexpected answer %s", body)
	}
	ev := onlyEvent(t, env, "chat")
	md := ev.Metadata
	want := map[string]string{"accessedByUsername": "johndoe", "accessedByUserId": uid, "endpointName": "chat",
		"endpointId": ep.ID, "endpointType": "llm/v1/chat", "modelProvider": "fakeai", "modelName": "gpt-4o-mini",
		"outcome": "success", "httpStatus": "200", "promptTokens": "2", "completionTokens": "3", "totalTokens": "5",
		"stream": "false", "requestId": hdr.Get("X-Request-Id"), "clientIp": "127.0.0.1", "userAgent": "pipelinetest/1", "api": "mlflow"}
	for k, v := range want {
		if md[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, md[k], v)
		}
	}
	if ev.PerformedBy != uid || ev.EndpointID != ep.ID || ev.Kind != gateway.KindAccessEndpoint {
		t.Errorf("event header wrong: %+v", ev)
	}
	if _, ok := md["requestPayload"]; ok {
		t.Error("payload recorded although the endpoint does not log payloads")
	}
	up := env.Upstream.Requests()
	if len(up) != 1 || up[0].Credential != pipelinetest.UpstreamKey || up[0].Model != "gpt-4o-mini" {
		t.Fatalf("upstream saw %+v", up)
	}
	if up[0].Body["temperature"] != 0.2 {
		t.Errorf("temperature not forwarded: %v", up[0].Body)
	}
}

func TestCredentialNeverLeaves(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ann")
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	env.Endpoint("broken", gateway.TypeChat, "fake-error-401", nil)
	var seen []string
	for _, path := range []string{"/endpoints/chat/invocations", "/endpoints/broken/invocations"} {
		_, hdr, body := env.Do("POST", path, key, chatBody)
		seen = append(seen, string(body), headerText(hdr))
	}
	_, _, metricsText := env.Do("GET", "/metrics", "", nil)
	auditJSON, _ := json.Marshal(append(env.AccessEvents("chat"), env.AccessEvents("broken")...))
	seen = append(seen, string(metricsText), string(auditJSON), env.Logs())
	for i, s := range seen {
		if strings.Contains(s, pipelinetest.UpstreamKey) {
			t.Fatalf("output %d contains the upstream credential: %s", i, s)
		}
	}
	if len(env.Upstream.Requests()) != 2 || env.Upstream.Requests()[0].Credential != pipelinetest.UpstreamKey {
		t.Fatal("the upstream did not receive the stored credential")
	}
}

func headerText(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}

func TestDeniedIsAuditedAndPermissionChangesApplyToNextRequest(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	uid, key := env.User("bob")
	env.Endpoint("private", gateway.TypeChat, "m", func(in *app.EndpointInput) {
		in.Permissions = gateway.Permissions{}
	})
	status, _, body := env.Do("POST", "/endpoints/private/invocations", key, chatBody)
	if status != 403 || !strings.Contains(string(body), "detail") {
		t.Fatalf("status %d: %s", status, body)
	}
	if ev := onlyEvent(t, env, "private"); ev.Metadata["outcome"] != "denied" || ev.Metadata["httpStatus"] != "403" {
		t.Fatalf("denial audited as %v", ev.Metadata)
	}
	if len(env.Upstream.Requests()) != 0 {
		t.Fatal("a denied request reached the upstream")
	}

	if _, err := env.App.UpdatePermissions(context.Background(), app.CLIActor, "private", app.PermissionsPatch{UserIDs: []string{uid}}); err != nil {
		t.Fatal(err)
	}
	if status, _, body := env.Do("POST", "/endpoints/private/invocations", key, chatBody); status != 200 {
		t.Fatalf("after grant: %d %s", status, body)
	}
	if _, err := env.App.UpdatePermissions(context.Background(), app.CLIActor, "private", app.PermissionsPatch{UserIDs: []string{}}); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := env.Do("POST", "/endpoints/private/invocations", key, chatBody); status != 403 {
		t.Fatalf("after revoke of permission: %d", status)
	}
}

func TestRevokedKeyIsRejectedOnTheNextRequest(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	u, err := env.App.CreateUser(ctx, app.CLIActor, app.NewUser{UserName: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	key, k, err := env.App.CreateKey(ctx, app.CLIActor, u.ID, "k", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	if status, _, _ := env.Do("POST", "/endpoints/chat/invocations", key, chatBody); status != 200 {
		t.Fatalf("before revocation: %d", status)
	}
	if err := env.App.RevokeKey(ctx, app.CLIActor, k.ID); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := env.Do("POST", "/endpoints/chat/invocations", key, chatBody); status != 401 {
		t.Fatalf("after revocation: %d", status)
	}
	if status, _, _ := env.Do("POST", "/endpoints/chat/invocations", "", chatBody); status != 401 {
		t.Fatalf("without a key: %d", status)
	}
}

func TestCallLimitAdmitsExactlyNOfThreeNConcurrent(t *testing.T) {
	const n = 5
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("dave")
	env.Endpoint("limited", gateway.TypeChat, "m", func(in *app.EndpointInput) {
		in.RateLimits.CallsPerMinute.PerUser = n
	})
	var wg sync.WaitGroup
	statuses := make(chan int, 3*n)
	retryAfter := make(chan string, 3*n)
	for range 3 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, hdr, _ := env.Do("POST", "/endpoints/limited/invocations", key, chatBody)
			statuses <- status
			if status == 429 {
				retryAfter <- hdr.Get("Retry-After")
			}
		}()
	}
	wg.Wait()
	close(statuses)
	close(retryAfter)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[200] != n || count[429] != 2*n {
		t.Fatalf("statuses %v, want %d×200 and %d×429", count, n, 2*n)
	}
	for ra := range retryAfter {
		if secs, err := strconv.Atoi(ra); err != nil || secs < 1 || secs > 60 {
			t.Fatalf("Retry-After %q", ra)
		}
	}
	outcomes := map[string]int{}
	for _, ev := range env.AccessEvents("limited") {
		outcomes[ev.Metadata["outcome"]]++
	}
	if outcomes["success"] != n || outcomes["rate_limited"] != 2*n {
		t.Fatalf("audited outcomes %v", outcomes)
	}
}

func TestTokenLimitChargesReportedUsage(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("erin")
	env.Endpoint("tokens", gateway.TypeChat, "m", func(in *app.EndpointInput) {
		in.RateLimits.TokensPerMinute.Endpoint = 5 // one answer uses exactly 5 tokens
	})
	if status, _, body := env.Do("POST", "/endpoints/tokens/invocations", key, chatBody); status != 200 {
		t.Fatalf("first: %d %s", status, body)
	}
	status, _, body := env.Do("POST", "/endpoints/tokens/invocations", key, chatBody)
	if status != 429 || !strings.Contains(string(body), `"error"`) {
		t.Fatalf("second: %d %s", status, body)
	}
}

func TestUpstreamFailuresMapToSafeStatuses(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("frank")
	cases := []struct {
		model   string
		status  int
		outcome string
	}{
		{"fake-error-400", 400, "bad_request"},
		{"fake-error-401", 502, "upstream_error"},
		{"fake-error-500", 502, "upstream_error"},
		{"fake-error-503", 502, "upstream_error"},
		{pipelinetest.ModelRateLimit, 429, "rate_limited"},
		{pipelinetest.ModelMalformed, 502, "upstream_error"},
	}
	for i, c := range cases {
		name := "up-" + strconv.Itoa(i)
		env.Endpoint(name, gateway.TypeChat, c.model, nil)
		status, hdr, body := env.Do("POST", "/endpoints/"+name+"/invocations", key, chatBody)
		if status != c.status || !json.Valid(body) {
			t.Errorf("%s: status %d body %s, want %d", c.model, status, body, c.status)
		}
		if c.model == pipelinetest.ModelRateLimit && hdr.Get("Retry-After") != "7" {
			t.Errorf("upstream Retry-After not passed through: %q", hdr.Get("Retry-After"))
		}
		if ev := onlyEvent(t, env, name); ev.Metadata["outcome"] != c.outcome || ev.Metadata["httpStatus"] != strconv.Itoa(c.status) {
			t.Errorf("%s audited as %s/%s", c.model, ev.Metadata["outcome"], ev.Metadata["httpStatus"])
		}
	}
}

func TestEndpointTimeoutAnswers504AndCancelsUpstream(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("gina")
	env.Endpoint("slow", gateway.TypeChat, pipelinetest.ModelHang, func(in *app.EndpointInput) { in.TimeoutSeconds = 1 })
	start := time.Now()
	status, _, body := env.Do("POST", "/endpoints/slow/invocations", key, chatBody)
	if status != 504 || time.Since(start) > 10*time.Second {
		t.Fatalf("status %d after %v: %s", status, time.Since(start), body)
	}
	if rec := waitFinished(t, env); !rec.Cancelled {
		t.Fatal("upstream call was not cancelled at the timeout")
	}
	if ev := onlyEvent(t, env, "slow"); ev.Metadata["outcome"] != "timeout" {
		t.Fatalf("audited as %v", ev.Metadata["outcome"])
	}
}

func waitFinished(t *testing.T, env *pipelinetest.Env) pipelinetest.Request {
	t.Helper()
	select {
	case rec := <-env.Upstream.Finished:
		return rec
	case <-time.After(10 * time.Second):
		t.Fatal("upstream request never finished")
	}
	return pipelinetest.Request{}
}

// waitForEvent polls the audit trail: the event is written after the client left, so there is
// no response to synchronise on.
func waitForEvent(t *testing.T, env *pipelinetest.Env, endpoint string) gateway.AuditEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if evs := env.AccessEvents(endpoint); len(evs) > 0 {
			return evs[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no access event")
	return gateway.AuditEvent{}
}

func TestStreamIsNotBufferedAndIsAuditedBeforeItEnds(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("hana")
	env.Endpoint("stream", gateway.TypeChat, pipelinetest.ModelGate, nil)
	body := map[string]any{"messages": []map[string]string{{"role": "user", "content": "one two three"}}, "stream": true}
	resp := env.Send("POST", "/endpoints/stream/invocations", key, body)
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	// The upstream holds everything after its first chunk until Release: reading the first
	// frame now proves the gateway forwards it without waiting for the rest.
	first := readFrame(t, rd)
	if !strings.Contains(first, `"object":"chat.completion.chunk"`) || !strings.Contains(first, `"content":"echo:"`) {
		t.Fatalf("first frame %q", first)
	}
	if len(env.AccessEvents("stream")) != 0 {
		t.Fatal("stream audited before it finished")
	}
	env.Upstream.Release()
	var frames []string
	for {
		f := readFrame(t, rd)
		if f == "" {
			break
		}
		frames = append(frames, f)
	}
	for _, f := range frames {
		if !strings.HasPrefix(f, "data: {") {
			t.Fatalf("non-data or [DONE] frame on the MLflow surface: %q", f)
		}
	}
	last := frames[len(frames)-1]
	if !strings.Contains(last, `"finish_reason":"stop"`) {
		t.Fatalf("last frame %q", last)
	}
	ev := onlyEvent(t, env, "stream")
	if ev.Metadata["outcome"] != "success" || ev.Metadata["stream"] != "true" || ev.Metadata["totalTokens"] != "7" {
		t.Fatalf("stream audited as %v", ev.Metadata)
	}
}

// readFrame returns the next SSE frame without its trailing blank line, "" at EOF.
func readFrame(t *testing.T, rd *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return b.String()
		}
		if line == "\n" {
			return strings.TrimSuffix(b.String(), "\n")
		}
		b.WriteString(line)
	}
}

func TestClientLeavingMidStreamCancelsUpstream(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ivan")
	env.Endpoint("stream", gateway.TypeChat, pipelinetest.ModelGate, nil)
	body := map[string]any{"messages": []map[string]string{{"role": "user", "content": "a b c"}}, "stream": true}
	resp := env.Send("POST", "/endpoints/stream/invocations", key, body)
	readFrame(t, bufio.NewReader(resp.Body))
	resp.Body.Close() // the client goes away while the provider is still generating

	if rec := waitFinished(t, env); !rec.Cancelled {
		t.Fatal("upstream call survived the client leaving")
	}
	ev := waitForEvent(t, env, "stream")
	if ev.Metadata["outcome"] != "client_cancelled" {
		t.Fatalf("audited as %v", ev.Metadata)
	}
	// The provider never reported usage: the prompt and the text already sent are counted.
	md := ev.Metadata
	if md["usageEstimated"] != "true" || md["promptTokens"] == "" || md["promptTokens"] == "0" ||
		md["completionTokens"] == "" || md["completionTokens"] == "0" || md["totalTokens"] == "" {
		t.Fatalf("a cancelled stream must still be metered (estimated): %v", md)
	}
}

// TestBrokenStreamIsAnErrorOnEverySurface: an upstream stream that breaks (connection
// dropped) or ends without its terminal event (no finish_reason, no [DONE]) after the first
// chunk is audited as upstream_error, and no client can take it for a complete answer: the
// MLflow surface, which has no error frame, aborts the response (its client reads an error),
// the OpenAI surface sends its error frame and no [DONE].
func TestBrokenStreamIsAnErrorOnEverySurface(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("judy")
	for _, model := range []string{pipelinetest.ModelDrop, pipelinetest.ModelCut} {
		env.Endpoint(model, gateway.TypeCompletions, model, nil)
		resp := env.Send("POST", "/endpoints/"+model+"/invocations", key, map[string]any{"prompt": "x y", "stream": true})
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "text_completion_chunk") || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("MLflow %s: %d, read error %v, body %s", model, resp.StatusCode, err, body)
		}
		status, _, body := env.Do("POST", "/v1/completions", key, map[string]any{"model": model, "prompt": "x y", "stream": true})
		if status != 200 || !strings.Contains(string(body), `"error"`) || strings.Contains(string(body), "[DONE]") {
			t.Errorf("OpenAI %s: %d %s", model, status, body)
		}
		evs := env.AccessEvents(model)
		if len(evs) != 2 {
			t.Fatalf("%s: %d events", model, len(evs))
		}
		for _, ev := range evs {
			if ev.Metadata["outcome"] != "upstream_error" {
				t.Errorf("%s audited as %v", model, ev.Metadata)
			}
		}
	}
}

func TestPayloadsAreLoggedOnlyWhenEnabled(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("kim")
	env.Endpoint("logged", gateway.TypeCompletions, "m", func(in *app.EndpointInput) { in.LogPayloads = true })
	if status, _, _ := env.Do("POST", "/endpoints/logged/invocations", key, map[string]any{"prompt": "secret plan"}); status != 200 {
		t.Fatal(status)
	}
	md := onlyEvent(t, env, "logged").Metadata
	if !strings.Contains(md["requestPayload"], "secret plan") || !strings.Contains(md["responsePayload"], "echo: secret plan") {
		t.Fatalf("payloads not recorded: %v", md)
	}
}

// Tokens the provider did not report are unknown (""), never 0; a query that never reached the
// provider spent none ("0").
func TestUnreportedUsageIsUnknownNotZero(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("una")
	env.Endpoint("silent", gateway.TypeChat, "no-usage", nil)
	env.Upstream.Answer("no-usage", `{"id":"c1","object":"chat.completion","created":1,"model":"no-usage",`+
		`"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`)
	if status, _, body := env.Do("POST", "/endpoints/silent/invocations", key, chatBody); status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	md := onlyEvent(t, env, "silent").Metadata
	for _, k := range []string{"promptTokens", "completionTokens", "totalTokens"} {
		if md[k] != "" {
			t.Errorf("%s = %q for an answer without usage; want unknown (\"\")", k, md[k])
		}
	}

	env.Endpoint("private", gateway.TypeChat, "m", func(in *app.EndpointInput) { in.Permissions = gateway.Permissions{} })
	if status, _, _ := env.Do("POST", "/endpoints/private/invocations", key, chatBody); status != 403 {
		t.Fatalf("denied query answered %d", status)
	}
	md = onlyEvent(t, env, "private").Metadata
	if md["outcome"] != "denied" || md["promptTokens"] != "0" || md["totalTokens"] != "0" {
		t.Errorf("a denied query spent nothing: %v", md)
	}
}
