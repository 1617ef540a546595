package transport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"strconv"
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

// AWS config keys (MLflow's aws_config, flattened as Domino does).
const (
	KeyAWSAccessKeyID     = "aws_access_key_id"
	KeyAWSSecretAccessKey = "aws_secret_access_key"
	KeyAWSSessionToken    = "aws_session_token"
	KeyAWSRoleARN         = "aws_role_arn"
	KeySessionLength      = "session_length_seconds"
	KeyAWSRegion          = "aws_region"
	// KeySTSEndpointURL overrides the STS endpoint used for AssumeRole (tests, VPC endpoints).
	KeySTSEndpointURL = "aws_sts_endpoint_url"
)

// defaultSessionLength is MLflow's session_length_seconds default.
const defaultSessionLength = 900 * time.Second

type awsProvider = aws.CredentialsProvider

func (t *Transport) signAWS(ctx context.Context, req *http.Request, hr *provider.HTTPRequest, config map[string]string) error {
	region := hr.Sign.Region
	if region == "" {
		region = config[KeyAWSRegion]
	}
	if region == "" {
		return gateway.Errorf(gateway.CodeInvalid, "modelConfig is missing %q", KeyAWSRegion)
	}
	creds, err := t.awsCredentials(config, region)
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
	if err := v4.NewSigner().SignHTTP(ctx, c, req, hex.EncodeToString(sum[:]), hr.Sign.Service, region, t.now()); err != nil {
		return gateway.Wrap(gateway.CodeInternal, err, "could not sign the upstream request")
	}
	return nil
}

// awsCredentials returns the (cached) credentials provider for config: static keys, or an
// STS AssumeRole of aws_role_arn whose temporary keys aws.CredentialsCache refreshes before
// they expire. Without keys in config, the process's AWS_* environment supplies them.
func (t *Transport) awsCredentials(config map[string]string, region string) (aws.CredentialsProvider, error) {
	base, err := staticCredentials(config)
	if err != nil {
		return nil, err
	}
	role := strings.TrimSpace(config[KeyAWSRoleARN])
	if role == "" {
		return base, nil
	}
	length := defaultSessionLength
	if s := config[KeySessionLength]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 900 || n > 43200 {
			return nil, gateway.Errorf(gateway.CodeInvalid, "modelConfig key %q must be whole seconds between 900 and 43200", KeySessionLength)
		}
		length = time.Duration(n) * time.Second
	}
	keyID := cacheKey(role, region, config[KeySTSEndpointURL], length.String(),
		config[KeyAWSAccessKeyID], config[KeyAWSSecretAccessKey], config[KeyAWSSessionToken])
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.aws[keyID]; ok {
		return p, nil
	}
	client := sts.New(sts.Options{Region: region, Credentials: base, HTTPClient: t.client, BaseEndpoint: optional(config[KeySTSEndpointURL])})
	p := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "llmgate"
		o.Duration = length
	}))
	t.aws[keyID] = p
	return p, nil
}

func staticCredentials(config map[string]string) (aws.CredentialsProvider, error) {
	id, secret, token := config[KeyAWSAccessKeyID], config[KeyAWSSecretAccessKey], config[KeyAWSSessionToken]
	if id == "" && secret == "" {
		id, secret, token = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")
	}
	if id == "" || secret == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "modelConfig needs %q and %q (or %q with base credentials)", KeyAWSAccessKeyID, KeyAWSSecretAccessKey, KeyAWSRoleARN)
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
