package transport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

// defaultSessionLength is MLflow's session_length_seconds default.
const defaultSessionLength = 900 * time.Second

type awsProvider = aws.CredentialsProvider

func (t *Transport) signAWS(ctx context.Context, req *http.Request, hr *provider.HTTPRequest, s *provider.AWSSigV4) error {
	if s.Region == "" {
		return gateway.Errorf(gateway.CodeInternal, "the provider asked for SigV4 without a region")
	}
	creds, err := t.awsCredentials(s)
	if err != nil {
		return err
	}
	c, err := creds.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return classify(ctx, err)
		}
		return gateway.Wrap(gateway.CodeUpstream, err, "could not obtain AWS credentials for the provider")
	}
	// Keys from STS or the environment are in no config; the session token travels in a header.
	hr.Minted = append(hr.Minted, c.SecretAccessKey, c.SessionToken)
	sum := sha256.Sum256(hr.Body)
	if err := v4.NewSigner().SignHTTP(ctx, c, req, hex.EncodeToString(sum[:]), s.Service, s.Region, t.now()); err != nil {
		return gateway.Wrap(gateway.CodeInternal, err, "could not sign the upstream request")
	}
	return nil
}

// awsCredentials returns the (cached) credentials provider for s: static keys, or an STS
// AssumeRole of s.RoleARN whose temporary keys aws.CredentialsCache refreshes before they
// expire. Without keys in s, the process's AWS_* environment supplies them.
func (t *Transport) awsCredentials(s *provider.AWSSigV4) (aws.CredentialsProvider, error) {
	base, err := staticCredentials(s)
	if err != nil {
		return nil, err
	}
	role := s.RoleARN
	if role == "" {
		return base, nil
	}
	length := s.SessionLength
	if length == 0 {
		length = defaultSessionLength
	}
	region := s.Region
	keyID := cacheKey(role, region, s.STSEndpoint, length.String(), s.AccessKeyID, s.SecretAccessKey, s.SessionToken)
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.aws[keyID]; ok {
		return p, nil
	}
	client := sts.New(sts.Options{Region: region, Credentials: base, HTTPClient: t.client, BaseEndpoint: optional(s.STSEndpoint)})
	p := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "llmgate"
		o.Duration = length
	}))
	t.aws[keyID] = p
	return p, nil
}

func staticCredentials(s *provider.AWSSigV4) (aws.CredentialsProvider, error) {
	id, secret, token := s.AccessKeyID, s.SecretAccessKey, s.SessionToken
	if id == "" && secret == "" {
		id, secret, token = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")
	}
	if id == "" || secret == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "modelConfig needs an AWS access key id and secret access key (or a role with base credentials in the environment)")
	}
	return credentials.NewStaticCredentialsProvider(id, secret, token), nil
}

// cacheKey hashes a credential tuple so secrets are not kept as readable map keys.
func cacheKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func optional(s string) *string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return &s
}
