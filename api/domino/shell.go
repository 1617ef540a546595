package domino

import (
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// The functions below let `llmgate endpoints …` speak the admin API's JSON from the shell:
// the same decoders and the same rendering as POST/PATCH/GET on /api/aigateway/v1/endpoints,
// so the CLI and the REST API cannot drift apart.

// DecodeEndpointCreate decodes a NewEndpointV1 JSON body as POST …/endpoints does.
func DecodeEndpointCreate(body []byte) (app.EndpointInput, error) {
	f, err := parseFields(body)
	if err != nil {
		return app.EndpointInput{}, err
	}
	return decodeCreate(f)
}

// DecodeEndpointPatch decodes an UpdateEndpointV1 JSON body as PATCH …/endpoints/{name} does.
func DecodeEndpointPatch(body []byte) (app.EndpointPatch, error) {
	f, err := parseFields(body)
	if err != nil {
		return app.EndpointPatch{}, err
	}
	return decodePatch(f)
}

// EndpointView renders e as GET …/endpoints/{name} does, credentials masked.
func EndpointView(a *app.App, e *gateway.Endpoint) any {
	return (&api{app: a}).toEnvelope(e)
}

// PermissionsView renders an endpoint's permissions as GET …/permissions does.
func PermissionsView(p gateway.Permissions) any { return toPermissionsDto(p) }
