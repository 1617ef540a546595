// Package bedrock is MLflow's "bedrock" / "amazon-bedrock" provider on Amazon Bedrock's
// Converse API: chat (OpenAI-shaped tool calling carried as toolConfig, toolUse and toolResult)
// and completions (one user message) through Converse and ConverseStream,
// embeddings through InvokeModel for Titan and Cohere embedding models. Requests are signed by
// transport with SigV4 (service "bedrock", region aws_region) from static keys or an assumed
// role.
//
// Config keys: aws_region (required), aws_access_key_id, aws_secret_access_key,
// aws_session_token, aws_role_arn, session_length_seconds (MLflow's aws_config, flattened),
// and bedrock_endpoint_url, an llmgate addition replacing
// https://bedrock-runtime.{region}.amazonaws.com (VPC endpoints, tests).
package bedrock

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

// Config keys.
const (
	KeyRegion          = "aws_region"
	KeyAccessKeyID     = "aws_access_key_id"
	KeySecretAccessKey = "aws_secret_access_key"
	KeySessionToken    = "aws_session_token"
	KeyRoleARN         = "aws_role_arn"
	KeySessionLength   = "session_length_seconds"
	KeyEndpointURL     = "bedrock_endpoint_url"
	// KeySTSEndpointURL overrides the STS endpoint used for AssumeRole (tests, VPC endpoints).
	KeySTSEndpointURL = "aws_sts_endpoint_url"
)

// Session lengths STS accepts for an assumed role, in seconds.
const minSessionLength, maxSessionLength = 900, 43200

// Spec is MLflow's bedrock provider.
var Spec = &provider.Spec{
	Name:         "bedrock",
	Aliases:      []string{"amazon-bedrock"},
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	RequiredKeys: []string{KeyRegion},
	OptionalKeys: []string{KeyAccessKeyID, KeySecretAccessKey, KeySessionToken, KeyRoleARN, KeySessionLength, KeyEndpointURL, KeySTSEndpointURL},
	SecretKeys:   []string{KeyAccessKeyID},
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.nova-lite-v1:0", "meta.llama3-1-70b-instruct-v1:0"},
		gateway.TypeCompletions: {"amazon.nova-lite-v1:0", "mistral.mistral-large-2407-v1:0"},
		gateway.TypeEmbeddings:  {"amazon.titan-embed-text-v2:0", "cohere.embed-english-v3"},
	},
	NestedConfig: []string{"aws_config"},
	Validate:     validate,
	Translator:   Translator{},
}

// validate requires static keys in pairs; without keys and without a role, transport falls
// back to the process's AWS_* environment, as MLflow's {aws_region} form does.
func validate(config map[string]string) error {
	if (config[KeyAccessKeyID] == "") != (config[KeySecretAccessKey] == "") {
		return gateway.Errorf(gateway.CodeInvalid, "modelConfig keys %q and %q must be given together", KeyAccessKeyID, KeySecretAccessKey)
	}
	_, err := sessionLength(config)
	return err
}

// sessionLength reads session_length_seconds (0 when unset: the transport's default).
func sessionLength(config map[string]string) (time.Duration, error) {
	s := strings.TrimSpace(config[KeySessionLength])
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < minSessionLength || n > maxSessionLength {
		return 0, gateway.Errorf(gateway.CodeInvalid, "modelConfig key %q must be whole seconds between %d and %d",
			KeySessionLength, minSessionLength, maxSessionLength)
	}
	return time.Duration(n) * time.Second, nil
}

// signing declares SigV4 with the credentials in this endpoint's config.
func signing(config map[string]string, region string) (*provider.Signing, error) {
	length, err := sessionLength(config)
	if err != nil {
		return nil, err
	}
	return &provider.Signing{AWS: &provider.AWSSigV4{Region: region, Service: "bedrock",
		AccessKeyID: config[KeyAccessKeyID], SecretAccessKey: config[KeySecretAccessKey], SessionToken: config[KeySessionToken],
		RoleARN: strings.TrimSpace(config[KeyRoleARN]), SessionLength: length, STSEndpoint: config[KeySTSEndpointURL]}}, nil
}

// Translator implements provider.Translator for Bedrock.
type Translator struct{}

var _ provider.Translator = Translator{}

// Request builds the Converse, ConverseStream or InvokeModel call.
func (Translator) Request(c *provider.Call) (*provider.HTTPRequest, error) {
	region := strings.TrimSpace(c.Config[KeyRegion])
	if region == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "modelConfig is missing required key %q for provider %q", KeyRegion, "bedrock")
	}
	sign, err := signing(c.Config, region)
	if err != nil {
		return nil, err
	}
	body, op, err := requestBody(c)
	if err != nil {
		return nil, err
	}
	h := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	if op == "converse-stream" {
		h.Set("Accept", "application/vnd.amazon.eventstream")
	}
	return &provider.HTTPRequest{
		Method: http.MethodPost,
		URL:    fmt.Sprintf("%s/model/%s/%s", base(c.Config, region), escapeSegment(c.Model), op),
		Header: h,
		Body:   body,
		Sign:   sign,
	}, nil
}

func requestBody(c *provider.Call) ([]byte, string, error) {
	switch {
	case c.Type == gateway.TypeEmbeddings && c.Req.Embeddings != nil:
		body, err := embeddingsBody(c.Model, c.Req.Embeddings)
		return body, "invoke", err
	case c.Type == gateway.TypeChat && c.Req.Chat != nil:
		body, err := converseBody(c.Req.Chat)
		return body, converseOp(c.Req), err
	case c.Type == gateway.TypeCompletions && c.Req.Completion != nil:
		body, err := converseBody(kit.ChatFromPrompt(c.Req.Completion))
		return body, converseOp(c.Req), err
	}
	return nil, "", gateway.Errorf(gateway.CodeInvalid, "request does not match endpoint type %s", c.Type)
}

func converseOp(r *llm.Request) string {
	if r.Stream() {
		return "converse-stream"
	}
	return "converse"
}

func base(config map[string]string, region string) string {
	if u := strings.TrimSpace(config[KeyEndpointURL]); u != "" {
		return strings.TrimRight(u, "/")
	}
	return "https://bedrock-runtime." + region + ".amazonaws.com"
}

// escapeSegment percent-encodes everything but RFC 3986 unreserved characters, as the AWS
// SDK does for the modelId label (ARNs and inference-profile ids contain ':' and '/').
func escapeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// Response translates Converse or InvokeModel answers.
func (Translator) Response(c *provider.Call, body []byte) (*llm.Response, error) {
	switch c.Type {
	case gateway.TypeEmbeddings:
		return parseEmbeddings(c, body)
	case gateway.TypeChat:
		chat, err := parseConverse(c.Model, body)
		return &llm.Response{Chat: chat}, err
	case gateway.TypeCompletions:
		chat, err := parseConverse(c.Model, body)
		if err != nil {
			return nil, err
		}
		return &llm.Response{Completion: kit.CompletionFromChat(chat)}, nil
	}
	return nil, gateway.Errorf(gateway.CodeInvalid, "unsupported endpoint type %s", c.Type)
}

// Stream decodes ConverseStream's binary event stream.
func (Translator) Stream(c *provider.Call) provider.StreamDecoder { return newStreamDecoder(c.Model) }

// Error maps Bedrock's error answers ({"message"} with the exception name in the
// x-amzn-ErrorType header). ModelErrorException (424) is the model failing, not the caller.
func (Translator) Error(_ *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	msg := kit.ProviderMessage(body)
	if status == http.StatusFailedDependency {
		return gateway.Wrap(gateway.CodeUpstream, fmt.Errorf("bedrock answered HTTP %d", status), "bedrock model failed to process the request")
	}
	return kit.StatusError("bedrock", status, header, msg)
}
