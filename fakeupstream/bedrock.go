package fakeupstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Amazon Bedrock runtime (Converse, ConverseStream, InvokeModel) under /model, and a minimal
// STS AssumeRole under /_sts for role-based credentials. Every request must carry a SigV4
// signature the fake can recompute with a known secret (Options.AWS, or keys its STS issued).
func init() {
	Register(&Provider{
		Name:       "bedrock",
		Routes:     []string{"POST /model/{modelId}/converse", "POST /model/{modelId}/converse-stream", "POST /model/{modelId}/invoke"},
		Model:      func(r *http.Request, _ []byte) string { return r.PathValue("modelId") },
		Credential: sigV4KeyID,
		Verify:     VerifySigV4,
		WriteError: writeBedrockError,
		Serve:      serveBedrock,
	})
	Register(&Provider{
		Name:       "sts",
		Routes:     []string{"POST /_sts", "POST /_sts/"},
		Model:      func(*http.Request, []byte) string { return "" },
		Credential: sigV4KeyID,
		Verify:     VerifySigV4,
		WriteError: writeSTSError,
		Serve:      serveAssumeRole,
	})
}

type sigV4Auth struct {
	keyID, date, region, service, signedHeaders, signature string
}

// parseSigV4 reads "AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=hex".
func parseSigV4(h string) (sigV4Auth, bool) {
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return sigV4Auth{}, false
	}
	var a sigV4Auth
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 {
				return sigV4Auth{}, false
			}
			a.keyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.signedHeaders = v
		case "Signature":
			a.signature = v
		}
	}
	return a, a.keyID != "" && a.signature != ""
}

func sigV4KeyID(r *http.Request) string {
	a, _ := parseSigV4(r.Header.Get("Authorization"))
	return a.keyID
}

// VerifySigV4 recomputes the request's signature with the AWS signer from the secret the fake
// knows for its access key id, over the same signed headers, date and body, and compares.
func VerifySigV4(s *Server, r *http.Request, body []byte) bool {
	auth := r.Header.Get("Authorization")
	a, ok := parseSigV4(auth)
	if !ok {
		return false
	}
	secret, ok := s.AWSSecret(a.keyID)
	if !ok {
		return false
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || time.Since(when).Abs() > 15*time.Minute {
		return false
	}
	req, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.ContentLength = int64(len(body))
	for _, name := range strings.Split(a.signedHeaders, ";") {
		if name != "host" && name != "content-length" {
			req.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	creds := aws.Credentials{AccessKeyID: a.keyID, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), a.service, a.region, when); err != nil {
		return false
	}
	return req.Header.Get("Authorization") == auth
}

// writeBedrockError writes Bedrock's {"message"} body with the exception name in
// x-amzn-ErrorType. An invalid signature is Bedrock's 403 UnrecognizedClientException /
// InvalidSignatureException, so the fake's 401 is sent as 403.
func writeBedrockError(w http.ResponseWriter, status int, message string) {
	kinds := map[int]string{400: "ValidationException", 403: "AccessDeniedException", 404: "ResourceNotFoundException",
		408: "ModelTimeoutException", 424: "ModelErrorException", 429: "ThrottlingException", 503: "ServiceUnavailableException"}
	if status == http.StatusUnauthorized {
		status, message = http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
		kinds[403] = "InvalidSignatureException"
	}
	kind, ok := kinds[status]
	if !ok {
		kind = "InternalServerException"
	}
	w.Header().Set("x-amzn-ErrorType", kind+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	writeJSON(w, status, map[string]string{"message": message})
}

type converseReq struct {
	Messages []struct {
		Role    string `json:"role"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	} `json:"messages"`
	System []struct {
		Text string `json:"text"`
	} `json:"system"`
	InferenceConfig struct {
		MaxTokens int `json:"maxTokens"`
	} `json:"inferenceConfig"`
}

func serveBedrock(x *Exchange) {
	path := x.R.URL.Path
	if strings.HasSuffix(path, "/invoke") {
		serveInvoke(x)
		return
	}
	var req converseReq
	if err := json.Unmarshal(x.Body, &req); err != nil || len(req.Messages) == 0 {
		x.Error(http.StatusBadRequest, "Malformed input request, please reformat your input and try again.")
		return
	}
	var prompt string
	var promptTokens int64
	for _, s := range req.System {
		promptTokens += Tokens(s.Text)
	}
	for _, m := range req.Messages {
		var text []string
		for _, c := range m.Content {
			text = append(text, c.Text)
			promptTokens += Tokens(c.Text)
		}
		if m.Role == "user" {
			prompt = strings.Join(text, "\n")
		}
	}
	reply, cut := Truncate(x.Reply(prompt), req.InferenceConfig.MaxTokens)
	stop := "end_turn"
	if cut {
		stop = "max_tokens"
	}
	usage := map[string]int64{"inputTokens": promptTokens, "outputTokens": Tokens(reply), "totalTokens": promptTokens + Tokens(reply)}
	if strings.HasSuffix(path, "/converse-stream") {
		streamConverse(x, reply, stop, usage)
		return
	}
	body, _ := json.Marshal(map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": []any{map[string]string{"text": reply}}}},
		"stopReason": stop, "usage": usage, "metrics": map[string]int{"latencyMs": 1},
	})
	x.Write(http.StatusOK, "application/json", body)
}

// streamConverse answers in the binary event-stream framing ConverseStream uses.
func streamConverse(x *Exchange, reply, stop string, usage map[string]int64) {
	enc := eventstream.NewEncoder()
	event := func(kind string, payload any) []byte {
		p, _ := json.Marshal(payload)
		var msg eventstream.Message
		msg.Headers.Set(":event-type", eventstream.StringValue(kind))
		msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		msg.Headers.Set(":message-type", eventstream.StringValue("event"))
		msg.Payload = p
		var buf bytes.Buffer
		_ = enc.Encode(&buf, msg) // encoding a well-formed message into memory cannot fail
		return buf.Bytes()
	}
	events := [][]byte{event("messageStart", map[string]string{"role": "assistant", "p": "abcdefgh"})}
	for _, piece := range x.Pieces(reply) {
		events = append(events, event("contentBlockDelta", map[string]any{"contentBlockIndex": 0, "delta": map[string]string{"text": piece}, "p": "abc"}))
	}
	events = append(events,
		event("contentBlockStop", map[string]any{"contentBlockIndex": 0}),
		event("messageStop", map[string]string{"stopReason": stop}),
		event("metadata", map[string]any{"usage": usage, "metrics": map[string]int{"latencyMs": 1}}))
	x.StartStream("application/vnd.amazon.eventstream")
	for _, ev := range events {
		if !x.Send(ev) {
			return
		}
	}
	x.EndStream()
}

// serveInvoke answers InvokeModel for embedding models: Cohere ({"texts"}) or Titan
// ({"inputText"}).
func serveInvoke(x *Exchange) {
	var req struct {
		InputText *string  `json:"inputText"`
		Texts     []string `json:"texts"`
		InputType string   `json:"input_type"`
	}
	if err := json.Unmarshal(x.Body, &req); err != nil {
		x.Error(http.StatusBadRequest, "Malformed input request, please reformat your input and try again.")
		return
	}
	var body []byte
	switch {
	case strings.Contains(x.Model, "cohere"):
		if req.Texts == nil || req.InputType == "" {
			x.Error(http.StatusBadRequest, "Malformed input request: #: required key [input_type] not found")
			return
		}
		vecs := make([][]float64, len(req.Texts))
		for i, t := range req.Texts {
			vecs[i] = Embedding(t)
		}
		body, _ = json.Marshal(map[string]any{"embeddings": vecs, "id": "fake", "response_type": "embeddings_floats", "texts": req.Texts})
	case req.InputText != nil:
		body, _ = json.Marshal(map[string]any{"embedding": Embedding(*req.InputText), "inputTextTokenCount": Tokens(*req.InputText)})
	default:
		x.Error(http.StatusBadRequest, "Malformed input request: #: required key [inputText] not found")
		return
	}
	x.Write(http.StatusOK, "application/json", body)
}

var stsSerial atomic.Int64

// serveAssumeRole issues temporary keys the Bedrock fake then accepts, answering in STS's
// XML (docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
func serveAssumeRole(x *Exchange) {
	form := parseFormBody(x.Body)
	if form.Get("Action") != "AssumeRole" || form.Get("RoleArn") == "" {
		x.Error(http.StatusBadRequest, "only AssumeRole with a RoleArn is supported")
		return
	}
	n := stsSerial.Add(1)
	id := fmt.Sprintf("ASIAFAKE%012d", n)
	secret := fmt.Sprintf("fake-temporary-secret-%d", n)
	x.Server().AddAWSKey(id, secret)
	expires := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	body := fmt.Sprintf(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>fake-session-token-%d</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>%s/%s</Arn><AssumedRoleId>AROAFAKE:%s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>
<ResponseMetadata><RequestId>fake-%d</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		id, secret, n, expires, xmlEscape(form.Get("RoleArn")), xmlEscape(form.Get("RoleSessionName")), xmlEscape(form.Get("RoleSessionName")), n)
	x.Write(http.StatusOK, "text/xml", []byte(body))
}

func writeSTSError(w http.ResponseWriter, status int, message string) {
	code := "InvalidClientTokenId"
	if status != http.StatusUnauthorized {
		code = "ValidationError"
	}
	if status == http.StatusUnauthorized {
		status = http.StatusForbidden
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake</RequestId></ErrorResponse>`, code, xmlEscape(message))
}
