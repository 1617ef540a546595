// Package databricks serves Databricks Model Serving endpoints through their OpenAI-compatible
// API at {workspace}/serving-endpoints (MLflow's "databricks" provider, and the older
// "databricks-model-serving" name). The endpoint's model is the serving endpoint name.
//
// Config keys: the workspace URL as host (MLflow 3) or databricks_workspace_url (MLflow 2.x),
// and a personal access token as token or databricks_api_token, sent as a Bearer token.
// MLflow 3 can fall back to the Databricks SDK's credential chain; llmgate cannot, so a
// workspace URL and a token are required.
package databricks

import (
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/openaicompat"
)

// Config keys, MLflow 3 names first.
const (
	KeyHost            = "host"
	KeyToken           = "token"
	KeyWorkspaceURL    = "databricks_workspace_url"
	KeyAPIToken        = "databricks_api_token"
	servingEndpointsAt = "/serving-endpoints"
)

// Spec is MLflow's databricks provider.
var Spec = &provider.Spec{
	Name:         "databricks",
	Aliases:      []string{"databricks-model-serving"},
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	OptionalKeys: []string{KeyHost, KeyToken, KeyWorkspaceURL, KeyAPIToken},
	SecretKeys:   []string{KeyToken},
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"databricks-meta-llama-3-3-70b-instruct", "databricks-claude-sonnet-4"},
		gateway.TypeCompletions: {"databricks-meta-llama-3-3-70b-instruct"},
		gateway.TypeEmbeddings:  {"databricks-gte-large-en", "databricks-bge-large-en"},
	},
	Validate: validate,
	Translator: &openaicompat.Translator{
		Provider: "databricks",
		URL:      url,
		Header: func(c *provider.Call, h http.Header) error {
			h.Set("Authorization", "Bearer "+first(c.Config, KeyToken, KeyAPIToken))
			return nil
		},
	},
}

func first(config map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(config[k]); v != "" {
			return v
		}
	}
	return ""
}

func validate(config map[string]string) error {
	if first(config, KeyHost, KeyWorkspaceURL) == "" {
		return gateway.Errorf(gateway.CodeInvalid, "modelConfig for provider %q needs the workspace URL in %q (or %q)", "databricks", KeyHost, KeyWorkspaceURL)
	}
	if first(config, KeyToken, KeyAPIToken) == "" {
		return gateway.Errorf(gateway.CodeInvalid, "modelConfig for provider %q needs an access token in %q (or %q)", "databricks", KeyToken, KeyAPIToken)
	}
	return nil
}

// url appends /serving-endpoints to the workspace unless the admin already did.
func url(c *provider.Call, path string) (string, error) {
	if err := validate(c.Config); err != nil {
		return "", err
	}
	base := strings.TrimRight(first(c.Config, KeyHost, KeyWorkspaceURL), "/")
	if !strings.HasSuffix(base, servingEndpointsAt) {
		base += servingEndpointsAt
	}
	return base + path, nil
}
