package transport

import (
	"context"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

// googleScope is the scope Vertex AI accepts.
const googleScope = "https://www.googleapis.com/auth/cloud-platform"

type tokenSource = oauth2.TokenSource

// signGoogle sets a bearer token minted from the service account the provider declared. Token
// sources are cached per credential so tokens are reused until shortly before they expire.
func (t *Transport) signGoogle(req *http.Request, hr *provider.HTTPRequest, s *provider.GoogleOAuth) error {
	ts, err := t.googleTokens(s.CredentialsJSON)
	if err != nil {
		return err
	}
	tok, err := ts.Token()
	if err != nil {
		return gateway.Wrap(gateway.CodeUpstream, err, "could not obtain a Google access token for the provider")
	}
	tok.SetAuthHeader(req)
	hr.Minted = append(hr.Minted, tok.AccessToken)
	return nil
}

func (t *Transport) googleTokens(credJSON string) (oauth2.TokenSource, error) {
	if credJSON == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "modelConfig is missing the service-account credentials")
	}
	key := cacheKey(credJSON)
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts, ok := t.google[key]; ok {
		return ts, nil
	}
	// The token source outlives any one request, so it gets a background context carrying
	// the shared client rather than a request's context.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, t.client)
	creds, err := google.CredentialsFromJSONWithType(ctx, []byte(credJSON), google.ServiceAccount, googleScope)
	if err != nil {
		// The parse error may quote the JSON; keep it out of the message and the cause.
		return nil, gateway.Errorf(gateway.CodeInvalid, "modelConfig's service-account credentials are not a valid service-account JSON")
	}
	ts := oauth2.ReuseTokenSource(nil, creds.TokenSource)
	t.google[key] = ts
	return ts, nil
}
