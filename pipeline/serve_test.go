package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/ratelimit/memory"
	"github.com/llmgate/llmgate/secrets"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/sqlite"
)

// recorder is a pipeline.Sink that keeps what the pipeline said, in order: the pipeline is
// driven here with plain values, no HTTP request or response.
type recorder struct {
	calls   []string
	status  int
	err     *gateway.Error
	answer  *llm.Response
	frames  bytes.Buffer
	receipt string
}

func (r *recorder) Receipt(v string) { r.calls, r.receipt = append(r.calls, "receipt"), v }
func (r *recorder) Error(status int, err *gateway.Error) {
	r.calls, r.status, r.err = append(r.calls, "error"), status, err
}
func (r *recorder) Answer(resp *llm.Response) {
	r.calls, r.status, r.answer = append(r.calls, "answer"), 200, resp
}
func (r *recorder) StartStream()         { r.calls, r.status = append(r.calls, "start"), 200 }
func (r *recorder) Frame(p []byte) error { r.frames.Write(p); return nil }
func (r *recorder) Abort()               { r.calls = append(r.calls, "abort") }

// body is a pipeline.Body over bytes.
type body []byte

func (b body) Size() int64           { return int64(len(b)) }
func (b body) Read() ([]byte, error) { return b, nil }

var helloBody = body(`{"model":"chat","messages":[{"role":"user","content":"hello there"}]}`)

func chatQuery(c app.Caller) pipeline.Query {
	return pipeline.Query{Surface: openai.Surface{}, Type: gateway.TypeChat, Caller: c, Body: helloBody}
}

// TestPreAuthenticatedPrincipalQueriesWithoutAKey: a surface that authenticated the caller
// itself (the console's session) passes the principal and no key; the query is answered,
// attributed to that user in the result and the access event, the receipt before the answer.
func TestPreAuthenticatedPrincipalQueriesWithoutAKey(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ada")
	env.Endpoint("chat", gateway.TypeChat, "fake-model", nil)
	p, err := env.App.Authenticate(key)
	if err != nil {
		t.Fatal(err)
	}
	var out recorder
	res := env.Pipeline.Serve(context.Background(), chatQuery(app.Caller{Principal: p, RequestID: "req-1"}), &out)
	if res.Outcome != gateway.OutcomeSuccess || res.User != "ada" || res.Endpoint != "chat" || res.Status != 200 {
		t.Fatalf("result = %+v", res)
	}
	if len(out.calls) != 2 || out.calls[0] != "receipt" || out.calls[1] != "answer" || out.answer.Chat == nil {
		t.Fatalf("sink calls = %v", out.calls)
	}
	evs := env.AccessEvents("chat")
	if len(evs) != 1 || evs[0].Metadata["accessedByUsername"] != "ada" || evs[0].Metadata["requestId"] != "req-1" {
		t.Fatalf("access events = %+v", evs)
	}
	if out.receipt != pipeline.Receipt(&evs[0]) {
		t.Fatalf("receipt %q, event is %q", out.receipt, pipeline.Receipt(&evs[0]))
	}
}

// TestPrincipalIsUsedInsteadOfTheKey: when both are set the principal decides who asks, so a
// key riding along cannot change whose query it is.
func TestPrincipalIsUsedInsteadOfTheKey(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, adaKey := env.User("ada")
	_, bobKey := env.User("bob")
	env.Endpoint("chat", gateway.TypeChat, "fake-model", nil)
	ada, err := env.App.Authenticate(adaKey)
	if err != nil {
		t.Fatal(err)
	}
	var out recorder
	res := env.Pipeline.Serve(context.Background(), chatQuery(app.Caller{Principal: ada, APIKey: bobKey}), &out)
	if res.User != "ada" {
		t.Fatalf("query ran as %q", res.User)
	}
	if evs := env.AccessEvents("chat"); len(evs) != 1 || evs[0].Metadata["accessedByUsername"] != "ada" {
		t.Fatalf("access events = %+v", evs)
	}
}

// TestPrincipalWithoutPermissionIsDenied: the principal goes through the same permission
// check as a key's: another user's endpoint is a 403, audited as denied.
func TestPrincipalWithoutPermissionIsDenied(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	ownerID, _ := env.User("owner")
	_, key := env.User("ada")
	env.Endpoint("chat", gateway.TypeChat, "fake-model", func(in *app.EndpointInput) {
		in.Permissions = gateway.Permissions{UserIDs: []string{ownerID}}
	})
	p, err := env.App.Authenticate(key)
	if err != nil {
		t.Fatal(err)
	}
	var out recorder
	res := env.Pipeline.Serve(context.Background(), chatQuery(app.Caller{Principal: p}), &out)
	if out.status != 403 || out.err == nil || out.err.Code != gateway.CodeForbidden || res.Outcome != gateway.OutcomeDenied {
		t.Fatalf("status %d, err %v, result %+v", out.status, out.err, res)
	}
	if evs := env.AccessEvents("chat"); len(evs) != 1 || evs[0].Metadata["outcome"] != gateway.OutcomeDenied {
		t.Fatalf("access events = %+v", evs)
	}
}

// TestPrincipalReachesAnEndpointCreatedOnAnotherReplica: the endpoint is missing from this
// replica's snapshot, so the query refreshes it; the principal keeps standing for the caller
// (there is no key to re-read), and the new endpoint answers on the first query.
func TestPrincipalReachesAnEndpointCreatedOnAnotherReplica(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ada")
	p, err := env.App.Authenticate(key)
	if err != nil {
		t.Fatal(err)
	}
	other := replica(t, env)
	in := app.EndpointInput{Name: "chat", Type: gateway.TypeChat, Provider: "fakeai", Model: "fake-model",
		Config: map[string]app.ConfigValue{
			pipelinetest.KeyAPIKey:  {Value: pipelinetest.UpstreamKey},
			pipelinetest.KeyAPIBase: {Value: env.Upstream.BaseURL()},
		},
		Permissions: gateway.Permissions{IsEveryoneAllowed: true}}
	if _, err := other.CreateEndpoint(context.Background(), app.CLIActor, in); err != nil {
		t.Fatal(err)
	}
	if env.App.Snapshot().Endpoint("chat") != nil {
		t.Fatal("this replica already knows the endpoint: the test would not take the refresh path")
	}
	var out recorder
	res := env.Pipeline.Serve(context.Background(), chatQuery(app.Caller{Principal: p}), &out)
	if res.Outcome != gateway.OutcomeSuccess || out.answer == nil {
		t.Fatalf("result %+v, error %v", res, out.err)
	}
}

// replica opens a second App on env's database, as another llmgate process would.
func replica(t *testing.T, env *pipelinetest.Env) *app.App {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(env.DataDir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := local.LoadKeyring(env.DataDir, "")
	if err != nil {
		t.Fatal(err)
	}
	store.SetAuditKeys(env.AuditKeys)
	log := slog.New(slog.DiscardHandler)
	writer := audit.NewWriter(store, log)
	a, err := app.New(ctx, app.Options{Store: store, Secrets: secrets.NewResolver(local.New(store, keys), nil),
		Providers: provider.NewRegistry(pipelinetest.Spec), Limiter: memory.New(), Audit: writer,
		AuditKeys: env.AuditKeys, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { writer.Close(); store.Close() })
	return a
}

// TestStreamReachesTheSinkAsFramesWithTheReceiptLast: a streamed answer starts, arrives as
// frames (the surface's SSE), and its receipt follows them, once the event is durable.
func TestStreamReachesTheSinkAsFramesWithTheReceiptLast(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ada")
	env.Endpoint("chat", gateway.TypeChat, "fake-model", nil)
	q := pipeline.Query{Surface: openai.Surface{}, Type: gateway.TypeChat, Caller: app.Caller{APIKey: key},
		Body: body(`{"model":"chat","stream":true,"messages":[{"role":"user","content":"hello there"}]}`)}
	var out recorder
	res := env.Pipeline.Serve(context.Background(), q, &out)
	if res.Outcome != gateway.OutcomeSuccess || len(out.calls) != 2 || out.calls[0] != "start" || out.calls[1] != "receipt" {
		t.Fatalf("result %+v, sink calls %v", res, out.calls)
	}
	frames := out.frames.String()
	if !bytes.HasPrefix(out.frames.Bytes(), []byte("data: {")) || !bytes.HasSuffix(out.frames.Bytes(), []byte("data: [DONE]\n\n")) {
		t.Fatalf("frames = %q", frames)
	}
	if evs := env.AccessEvents("chat"); len(evs) != 1 || out.receipt != pipeline.Receipt(&evs[0]) {
		t.Fatalf("receipt %q, events %+v", out.receipt, evs)
	}
}

// jwtVerifier accepts one made-up JWT as the identity of user "jwt-user".
type jwtVerifier struct{ token string }

func (v jwtVerifier) VerifyBearer(_ context.Context, raw string) (app.ExternalIdentity, bool, error) {
	if raw != v.token {
		return app.ExternalIdentity{}, false, nil
	}
	return app.ExternalIdentity{Method: "oidc:test", Subject: "s-1", UserName: "jwt-user",
		Expiry: time.Now().Add(time.Hour)}, true, nil
}

func (jwtVerifier) Mapping() app.GroupMapping { return app.GroupMapping{} }

// TestBearerTokenReachesAnEndpointCreatedOnAnotherReplica: a caller presenting an identity
// provider's JWT is judged again after the miss refreshes the snapshot, the way it was
// authenticated (a JWT, not a key), so the new endpoint answers instead of a 401.
func TestBearerTokenReachesAnEndpointCreatedOnAnotherReplica(t *testing.T) {
	const token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzLTEifQ.c2ln"
	env := pipelinetest.New(t, pipelinetest.Options{Bearers: []app.BearerVerifier{jwtVerifier{token}}})
	other := replica(t, env)
	in := app.EndpointInput{Name: "chat", Type: gateway.TypeChat, Provider: "fakeai", Model: "fake-model",
		Config: map[string]app.ConfigValue{
			pipelinetest.KeyAPIKey:  {Value: pipelinetest.UpstreamKey},
			pipelinetest.KeyAPIBase: {Value: env.Upstream.BaseURL()},
		},
		Permissions: gateway.Permissions{IsEveryoneAllowed: true}}
	var out recorder
	// The first query provisions the token's user; the endpoint does not exist yet anywhere.
	if res := env.Pipeline.Serve(context.Background(), chatQuery(app.Caller{APIKey: token}), &out); res.Outcome != "not_found" {
		t.Fatalf("before the endpoint exists: %+v (%v)", res, out.err)
	}
	if _, err := other.CreateEndpoint(context.Background(), app.CLIActor, in); err != nil {
		t.Fatal(err)
	}
	out = recorder{}
	res := env.Pipeline.Serve(context.Background(), chatQuery(app.Caller{APIKey: token}), &out)
	if res.Outcome != gateway.OutcomeSuccess || res.User != "jwt-user" || out.answer == nil {
		t.Fatalf("result %+v, error %v", res, out.err)
	}
}

// goneSink is a recorder whose client has left by the time the stream's first frames are
// written (what one upstream read completes goes out in one Frame): every Frame fails.
type goneSink struct {
	recorder
	frames int
}

func (g *goneSink) Frame([]byte) error {
	g.frames++
	return errors.New("write: broken pipe")
}

// TestSinkThatCannotTakeAFrameStopsTheUpstream: a Sink's failed Frame means the client is
// gone (Sink's contract), with no HTTP in sight: the provider's call is cancelled while it is
// still generating (the fake holds the rest of its stream), nothing more is written, and the query is audited and reported as the client's
// leaving (client_cancelled; the answer's status stays the 200 its stream started with).
func TestSinkThatCannotTakeAFrameStopsTheUpstream(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ivan")
	env.Endpoint("stream", gateway.TypeChat, pipelinetest.ModelGate, nil)
	t.Cleanup(env.Upstream.Release) // a failing run must not leave the fake's stream held open
	chunk := `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a "},"finish_reason":null}]}` + "\n\n"
	env.Upstream.Answer(pipelinetest.ModelGate, strings.Repeat(chunk, 4)+"data: [DONE]\n\n")
	q := pipeline.Query{Surface: openai.Surface{}, Type: gateway.TypeChat, Caller: app.Caller{APIKey: key},
		Body: body(`{"model":"stream","stream":true,"messages":[{"role":"user","content":"a b c"}]}`)}
	out := &goneSink{}
	done := make(chan pipeline.Result, 1)
	go func() { done <- env.Pipeline.Serve(context.Background(), q, out) }()
	if rec := waitFinished(t, env); !rec.Cancelled {
		t.Fatal("the upstream call survived the client leaving")
	}
	res := <-done
	if res.Outcome != "client_cancelled" || res.Status != 200 {
		t.Fatalf("result %+v, want client_cancelled after a 200 stream start", res)
	}
	if slices.Contains(out.calls, "abort") || slices.Contains(out.calls, "error") || out.frames != 1 {
		t.Fatalf("a client that left is told nothing more, got sink calls %v after %d frames", out.calls, out.frames)
	}
	if ev := onlyEvent(t, env, "stream"); ev.Metadata["outcome"] != "client_cancelled" {
		t.Fatalf("audited as %v", ev.Metadata)
	}
}
