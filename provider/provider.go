// Package provider defines how llmgate talks to an LLM provider: a Spec (name, config keys,
// supported endpoint types) and a Translator of pure functions that turn a canonical llm
// request into the provider's HTTP request and the provider's bytes back into canonical
// responses, stream chunks and errors. Translators never open connections: transport does.
//
// Each provider lives in its own folder under provider/ and is listed once in
// provider/registry.
package provider

import (
	"fmt"
	"time"

	"net/http"
	"sort"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// Spec describes one provider as admins see it: MLflow's provider name and config keys.
type Spec struct {
	Name    string   // MLflow's provider name, e.g. "openai", "amazon-bedrock"
	Aliases []string // other accepted names, e.g. "bedrock"
	// Types lists the endpoint types the provider serves; Streams those that can stream.
	Types   []gateway.EndpointType
	Streams []gateway.EndpointType
	// RequiredKeys are the modelConfig keys that must be present (provider-configs route).
	RequiredKeys []string
	OptionalKeys []string
	// SecretKeys are credential keys beyond what gateway.IsSecretKey already recognises.
	SecretKeys []string
	// Retired, when non-empty, says why the provider's public API is gone; queries answer 400
	// with this text, endpoint creation still works (MLflow configs keep importing).
	Retired string
	// Models suggests model names per type for the UI's pickers; never used for validation.
	Models map[gateway.EndpointType][]string
	// NestedConfig names the objects of MLflow's model.config whose members are this
	// provider's top-level keys (Bedrock's aws_config): importers flatten them, since
	// modelConfig is a flat string map. Optional.
	NestedConfig []string
	// Validate checks config rules beyond required keys (e.g. Azure needs a deployment name).
	// It returns a *gateway.Error of CodeInvalid naming the key. Optional.
	Validate func(config map[string]string) error
	// Translator does the wire work. Nil only for retired providers.
	Translator Translator
}

// Supports reports whether the provider serves endpoint type t.
func (s *Spec) Supports(t gateway.EndpointType) bool { return hasType(s.Types, t) }

// CanStream reports whether the provider streams endpoint type t.
func (s *Spec) CanStream(t gateway.EndpointType) bool { return hasType(s.Streams, t) }

// IsSecret reports whether config key names a credential for this provider.
func (s *Spec) IsSecret(key string) bool {
	if gateway.IsSecretKey(key) {
		return true
	}
	for _, k := range s.SecretKeys {
		if k == key {
			return true
		}
	}
	return false
}

// Keys lists every modelConfig key the provider accepts (required, optional and secret),
// sorted. A key outside this list is refused: a misspelt credential name would otherwise be
// stored as a plain, visible value.
func (s *Spec) Keys() []string {
	seen := map[string]bool{}
	var keys []string
	for _, list := range [][]string{s.RequiredKeys, s.OptionalKeys, s.SecretKeys} {
		for _, k := range list {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// Named reports whether name designates this provider (its name or an alias, in any of the
// spellings Registry.Lookup accepts).
func (s *Spec) Named(name string) bool {
	n := normalize(name)
	if n == normalize(s.Name) {
		return true
	}
	for _, a := range s.Aliases {
		if n == normalize(a) {
			return true
		}
	}
	return false
}

// Declares reports whether key is one of the provider's modelConfig keys.
func (s *Spec) Declares(key string) bool {
	for _, list := range [][]string{s.RequiredKeys, s.OptionalKeys, s.SecretKeys} {
		for _, k := range list {
			if k == key {
				return true
			}
		}
	}
	return false
}

// IsLocationKey reports whether a modelConfig key says where requests go (a base URL, host
// or endpoint). A stored credential must never follow such a key to a new place unless it is
// given again in the same change.
func IsLocationKey(key string) bool {
	k := strings.ToLower(key)
	return k == "host" || k == "api_base" || strings.HasSuffix(k, "_api_base") || strings.HasSuffix(k, "_url") ||
		strings.HasSuffix(k, "_host") || strings.Contains(k, "endpoint")
}

// CheckConfig validates that every required key has a non-blank value in config and
// runs Validate. The error names the first missing key.
func (s *Spec) CheckConfig(config map[string]string) error {
	for _, k := range s.RequiredKeys {
		if strings.TrimSpace(config[k]) == "" {
			return &gateway.Error{Code: gateway.CodeInvalid, Field: "modelConfig." + k,
				Message: fmt.Sprintf("modelConfig is missing required key %q for provider %q", k, s.Name)}
		}
	}
	if s.Validate != nil {
		return s.Validate(config)
	}
	return nil
}

func hasType(list []gateway.EndpointType, t gateway.EndpointType) bool {
	for _, v := range list {
		if v == t {
			return true
		}
	}
	return false
}

// Call is everything a translator needs for one request.
type Call struct {
	Type  gateway.EndpointType
	Model string
	// Config holds plain modelConfig values and resolved credentials. Translators put
	// credentials into headers only; they never format them into errors.
	Config map[string]string
	Req    *llm.Request
}

// HTTPRequest is the upstream request a translator produced.
type HTTPRequest struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Sign names a signing step transport performs on the finished request.
	Sign *Signing
	// Minted receives the credentials the signing step derived for this request (an OAuth
	// access token, temporary AWS keys and session token): values that are in no endpoint's
	// config, yet an upstream may echo them, so the caller scrubs them like the config's.
	Minted []string
}

// Signing asks transport to authenticate the request itself, for schemes that need keys
// or tokens fetched or derived at send time.
type Signing struct {
	AWS    *AWSSigV4
	Google *GoogleOAuth
}

// AWSSigV4 asks for AWS Signature V4 with credentials the provider read from its own config
// keys (the transport knows none): static keys, or RoleARN assumed through STS with them as
// base credentials. Without AccessKeyID and SecretAccessKey the process's AWS_* environment
// supplies the base credentials. It prints without its secrets.
type AWSSigV4 struct {
	Region, Service                            string
	AccessKeyID, SecretAccessKey, SessionToken string `json:"-"`
	RoleARN                                    string
	SessionLength                              time.Duration // 0: 15 minutes, MLflow's default
	STSEndpoint                                string        // overrides STS's URL (tests, VPC endpoints)
}

// String keeps the secrets out of any log line or error that formats the value.
func (s AWSSigV4) String() string {
	return "AWSSigV4{Region:" + s.Region + " Service:" + s.Service + " RoleARN:" + s.RoleARN + "}"
}

// GoString is String, for %#v.
func (s AWSSigV4) GoString() string { return s.String() }

// GoogleOAuth asks for a bearer token minted from a service-account JSON (Vertex AI).
type GoogleOAuth struct {
	CredentialsJSON string `json:"-"`
}

// String keeps the service account out of any log line or error that formats the value.
func (GoogleOAuth) String() string { return "GoogleOAuth{}" }

// GoString is String, for %#v.
func (g GoogleOAuth) GoString() string { return g.String() }

// Translator converts between canonical llm schemas and one provider's wire format.
// Every method is pure: same input, same output, no I/O.
type Translator interface {
	// Request builds the upstream request. Stream requests must ask the provider for usage
	// where the provider supports it.
	Request(c *Call) (*HTTPRequest, error)
	// Response translates a complete 2xx body into the canonical response for c.Type.
	Response(c *Call, body []byte) (*llm.Response, error)
	// Stream returns an incremental decoder for the provider's stream framing.
	Stream(c *Call) StreamDecoder
	// Error maps a non-2xx upstream answer to a gateway error with a safe message, following
	// the common rules (4xx → invalid, 401/403 → upstream, 429 → rate limited with
	// RetryAfter, 5xx → upstream).
	Error(c *Call, status int, header http.Header, body []byte) *gateway.Error
}

// StreamDecoder consumes an upstream stream body incrementally.
type StreamDecoder interface {
	// Feed takes the next bytes read from upstream (any split) and returns the chunks they
	// complete. An error event from the provider is returned as a *gateway.Error.
	Feed(p []byte) ([]llm.Chunk, error)
	// End is called once at EOF and returns any final chunks; it errors if the stream ended
	// before the provider said it was done.
	End() ([]llm.Chunk, error)
}

// EventStreamDecoder is a StreamDecoder that can hand over the chunks of each event as soon as
// that event is decoded (sse.NewDecoder's are), so that when several events arrive in one read
// the first is relayed before the others are decoded: the stream's first byte waits for one
// event's translation, not for the whole read's.
type EventStreamDecoder interface {
	StreamDecoder
	// FeedEach is Feed calling emit with each event's chunks, in order, instead of returning
	// them (events that translate to no chunk are skipped). An error from emit stops it and is
	// returned as it is; Feed's errors come after the chunks of the events before them. The
	// slice emit gets is valid during the call only: emit copies the chunks it keeps.
	FeedEach(p []byte, emit func([]llm.Chunk) error) error
}

// Registry resolves provider names (case-insensitive, '-' and '_' interchangeable, aliases).
type Registry struct {
	byName map[string]*Spec
	specs  []*Spec
}

// NewRegistry indexes specs by name and aliases.
func NewRegistry(specs ...*Spec) *Registry {
	r := &Registry{byName: map[string]*Spec{}}
	for _, s := range specs {
		r.specs = append(r.specs, s)
		r.byName[normalize(s.Name)] = s
		for _, a := range s.Aliases {
			r.byName[normalize(a)] = s
		}
	}
	sort.Slice(r.specs, func(i, j int) bool { return r.specs[i].Name < r.specs[j].Name })
	return r
}

// Lookup returns the provider for name, or nil.
func (r *Registry) Lookup(name string) *Spec { return r.byName[normalize(name)] }

// Specs returns every provider, ordered by name.
func (r *Registry) Specs() []*Spec { return r.specs }

func normalize(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "_", "-")
}
