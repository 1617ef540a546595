package fakeupstream

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Vertex AI (cloud.google.com/vertex-ai/generative-ai/docs/reference/rest): the Gemini wire
// on /v1/projects/{p}[/locations/{l}]/publishers/google/models/{model}:{method}, authorised
// by an OAuth access token that a service account obtains with a JWT-bearer grant. The fake
// plays both sides Google plays: a token endpoint (VertexTokenPath) that verifies the JWT
// against the one test service account it knows (VertexServiceAccount), and the model routes,
// which accept the token it issues. That token is the "vertex_ai" provider's valid key
// (DefaultKey("vertex_ai") unless Options.Keys overrides it), so tests know the bearer
// credential the records must show.
const (
	// VertexTokenPath is the fake's OAuth 2.0 token endpoint (Google's is
	// https://oauth2.googleapis.com/token).
	VertexTokenPath = "/vertex/token"
	// VertexServiceAccountPath answers VertexServiceAccount as JSON; the query parameter
	// token_uri overrides the token endpoint the JSON names (default: this server's).
	VertexServiceAccountPath = "/_fake/vertex-service-account"
	// VertexClientEmail is the test service account's identity (the JWT's iss).
	VertexClientEmail = "llmgate-fake@fake-project.iam.gserviceaccount.com"

	vertexProvider  = "vertex_ai"
	vertexKeyID     = "fakeupstream-vertex-key-1"
	jwtBearerGrant  = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	cloudPlatform   = "https://www.googleapis.com/auth/cloud-platform"
	vertexModelPath = "/publishers/google/models/{target}"
	// jwtClockSkew is how far iat may lie in the future, as Google tolerates small skews.
	jwtClockSkew = 5 * time.Minute
)

// vertexKey is the test service account's RSA key, made once per process on first use: a
// private key is never committed, and processes that never touch Vertex pay nothing.
var vertexKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("fakeupstream: cannot generate the Vertex test key: " + err.Error())
	}
	return key
})

func init() {
	Register(&Provider{
		Name: vertexProvider,
		Routes: []string{
			"POST /v1/projects/{project}/locations/{location}" + vertexModelPath,
			"POST /v1/projects/{project}" + vertexModelPath,
		},
		Model:      func(r *http.Request, _ []byte) string { m, _, _ := strings.Cut(r.PathValue("target"), ":"); return m },
		Credential: bearerToken,
		WriteError: writeVertexError,
		Serve:      serveVertex,
	})
	Register(&Provider{
		Name:   "google-oauth",
		Routes: []string{"POST " + VertexTokenPath},
		Model:  func(*http.Request, []byte) string { return "" },
		// The assertion travels in the form body, so there is no header credential to record;
		// Verify checks it.
		Credential: func(*http.Request) string { return "" },
		Verify:     verifyJWTBearer,
		WriteError: writeOAuthError,
		Serve:      serveVertexToken,
	})
	Register(&Provider{
		Name:       "vertex-service-account",
		Routes:     []string{"GET " + VertexServiceAccountPath},
		Model:      func(*http.Request, []byte) string { return "" },
		Credential: func(*http.Request) string { return "" },
		Verify:     func(*Server, *http.Request, []byte) bool { return true },
		WriteError: writeOAuthError,
		Serve:      serveVertexServiceAccount,
	})
}

// VertexServiceAccount returns the service-account JSON (the format Google Cloud exports)
// whose key the fake's token endpoint accepts, naming tokenURI as its token_uri, e.g.
// server URL + VertexTokenPath.
func VertexServiceAccount(tokenURI string) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(vertexKey())
	if err != nil {
		panic("fakeupstream: cannot encode the Vertex test key: " + err.Error())
	}
	b, _ := json.Marshal(map[string]string{
		"type":                        "service_account",
		"project_id":                  "fake-project",
		"private_key_id":              vertexKeyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                VertexClientEmail,
		"client_id":                   "100000000000000000001",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   tokenURI,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	})
	return b
}

func bearerToken(r *http.Request) string {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// vertexAccessToken is the token the fake issues: the provider's first valid key.
func (s *Server) vertexAccessToken() string {
	if keys := s.opts.Keys[vertexProvider]; len(keys) > 0 {
		return keys[0]
	}
	return DefaultKey(vertexProvider)
}

// writeVertexError answers as Vertex does: a missing or bad token is 401 UNAUTHENTICATED
// with a WWW-Authenticate challenge; everything else is Google's envelope as for Gemini.
func writeVertexError(w http.ResponseWriter, status int, message string) {
	if status != http.StatusUnauthorized {
		writeGeminiError(w, status, message)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": status,
		"message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or " +
			"other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
		"status": "UNAUTHENTICATED",
	}})
}

func serveVertex(x *Exchange) {
	_, method, _ := strings.Cut(x.R.PathValue("target"), ":")
	switch method {
	case "generateContent", "streamGenerateContent":
		// Without alt=sse Vertex streams one JSON array, which no gateway parser expects.
		stream := method == "streamGenerateContent"
		if stream && x.R.URL.Query().Get("alt") != "sse" {
			x.Error(http.StatusBadRequest, "the fake streams only with alt=sse")
			return
		}
		var req geminiRequest
		if err := json.Unmarshal(x.Body, &req); err != nil {
			x.Error(http.StatusBadRequest, "Invalid JSON payload received.")
			return
		}
		serveGeminiGenerate(x, &req, stream)
	case "predict":
		serveVertexPredict(x)
	default:
		x.Error(http.StatusNotFound, "method "+method+" is not found")
	}
}

type vertexPredictRequest struct {
	Instances []struct {
		Content *string `json:"content"`
	} `json:"instances"`
	Parameters struct {
		OutputDimensionality int `json:"outputDimensionality"`
	} `json:"parameters"`
}

// serveVertexPredict answers the text-embeddings predict API: one prediction per instance
// with statistics.token_count (words) and the billable characters in metadata.
func serveVertexPredict(x *Exchange) {
	var req vertexPredictRequest
	if err := json.Unmarshal(x.Body, &req); err != nil {
		x.Error(http.StatusBadRequest, "Invalid JSON payload received.")
		return
	}
	if len(req.Instances) == 0 {
		x.Error(http.StatusBadRequest, "instances must not be empty")
		return
	}
	predictions := make([]any, len(req.Instances))
	characters := 0
	for i, inst := range req.Instances {
		if inst.Content == nil {
			x.Error(http.StatusBadRequest, "instance is missing the required field content")
			return
		}
		values := Embedding(*inst.Content)
		if n := req.Parameters.OutputDimensionality; n > 0 && n < len(values) {
			values = values[:n]
		}
		characters += utf8.RuneCountInString(*inst.Content)
		predictions[i] = map[string]any{"embeddings": map[string]any{
			"values":     values,
			"statistics": map[string]any{"truncated": false, "token_count": Tokens(*inst.Content)},
		}}
	}
	body, _ := json.Marshal(map[string]any{"predictions": predictions, "metadata": map[string]any{"billableCharacterCount": characters}})
	x.Write(http.StatusOK, "application/json", body)
}

// writeOAuthError answers in RFC 6749 §5.2's shape, as Google's token endpoint does: a
// rejected assertion is 400 invalid_grant.
func writeOAuthError(w http.ResponseWriter, status int, message string) {
	code := "invalid_request"
	if status == http.StatusUnauthorized {
		status, code = http.StatusBadRequest, "invalid_grant"
		message = "Invalid JWT: the assertion is not an RS256 JWT signed by the test service account for this token endpoint, or it has expired."
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": message})
}

func serveVertexToken(x *Exchange) {
	body, _ := json.Marshal(map[string]any{"access_token": x.Server().vertexAccessToken(), "token_type": "Bearer", "expires_in": 3600})
	x.Write(http.StatusOK, "application/json", body)
}

func serveVertexServiceAccount(x *Exchange) {
	tokenURI := x.R.URL.Query().Get("token_uri")
	if tokenURI == "" {
		tokenURI = "http://" + x.R.Host + VertexTokenPath
	}
	if u, err := url.Parse(tokenURI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		x.Error(http.StatusBadRequest, "token_uri must be an absolute http(s) URL")
		return
	}
	x.Write(http.StatusOK, "application/json", VertexServiceAccount(tokenURI))
}

// jwtClaims are the claims golang.org/x/oauth2/jwt (and every Google client) sends.
type jwtClaims struct {
	Iss   string `json:"iss"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Exp   int64  `json:"exp"`
	Iat   int64  `json:"iat"`
}

// verifyJWTBearer accepts a JWT-bearer grant whose assertion is signed RS256 by the test
// service account's key and whose claims name that account, the cloud-platform scope, this
// token endpoint as audience and a current validity window.
func verifyJWTBearer(_ *Server, r *http.Request, body []byte) bool {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("grant_type") != jwtBearerGrant {
		return false
	}
	claims, ok := verifyJWT(form.Get("assertion"))
	if !ok || claims.Iss != VertexClientEmail || !strings.Contains(" "+claims.Scope+" ", " "+cloudPlatform+" ") {
		return false
	}
	if aud, err := url.Parse(claims.Aud); err != nil || aud.Path != r.URL.Path {
		return false
	}
	now := time.Now()
	return now.Unix() < claims.Exp && time.Unix(claims.Iat, 0).Before(now.Add(jwtClockSkew))
}

// verifyJWT checks a compact JWS's RS256 signature against the test key and decodes its
// claims; any malformed part is a rejection.
func verifyJWT(token string) (jwtClaims, bool) {
	var claims jwtClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims, false
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if !decodeJWTPart(parts[0], &header) || header.Alg != "RS256" || (header.Kid != "" && header.Kid != vertexKeyID) {
		return claims, false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return claims, false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&vertexKey().PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return claims, false
	}
	return claims, decodeJWTPart(parts[1], &claims)
}

func decodeJWTPart(part string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(part)
	return err == nil && json.Unmarshal(b, v) == nil
}
