// Package retired declares MLflow providers whose public APIs no longer exist. Endpoints
// using them still import and validate (old MLflow configs keep loading), but every query
// answers 400 with the Retired text instead of calling a dead host.
package retired

import (
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

// MosaicML's inference API was shut down after Databricks acquired MosaicML; its models are
// served by Databricks Model Serving.
var MosaicML = &provider.Spec{
	Name:         "mosaicml",
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	RequiredKeys: []string{"mosaicml_api_key"},
	OptionalKeys: []string{"mosaicml_api_base"},
	Retired:      `provider "mosaicml" is retired: the MosaicML inference API has been shut down; use provider "databricks" (Databricks Model Serving) instead`,
}

// PaLM's API was decommissioned by Google in favour of Gemini.
var PaLM = &provider.Spec{
	Name:         "palm",
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	RequiredKeys: []string{"palm_api_key"},
	Retired:      `provider "palm" is retired: Google decommissioned the PaLM API; use provider "gemini" instead`,
}
