// Package transport sends the requests provider translators build. It owns the one shared
// HTTP client (connection reuse, bounded connect/TLS times, no redirects to other hosts) and
// the signing steps that need credentials fetched or derived at send time: AWS SigV4 (static
// keys or an STS-assumed role, cached) and Google OAuth from a service-account JSON. Failures
// come back as *gateway.Error with safe messages: connection errors are CodeUpstream,
// deadlines CodeTimeout.
package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

// Options tunes a Transport; zero values pick the defaults.
type Options struct {
	// Client replaces the shared HTTP client (tests).
	Client *http.Client
	// Now replaces the clock used for signing (tests).
	Now func() time.Time
}

// Transport performs upstream requests. It is safe for concurrent use; one per process.
type Transport struct {
	client *http.Client
	now    func() time.Time

	mu     sync.Mutex
	aws    map[string]awsProvider // credential caches per role/key tuple (hashed)
	google map[string]tokenSource // token caches per service-account JSON (hashed)
}

// New builds a Transport.
func New(opts Options) *Transport {
	t := &Transport{client: opts.Client, now: opts.Now, aws: map[string]awsProvider{}, google: map[string]tokenSource{}}
	if t.client == nil {
		t.client = NewHTTPClient()
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t
}

var (
	defaultOnce sync.Once
	defaultT    *Transport
)

// Default returns the process-wide Transport, so every provider shares one connection pool
// and one set of credential caches.
func Default() *Transport {
	defaultOnce.Do(func() { defaultT = New(Options{}) })
	return defaultT
}

// Do sends hr with the default Transport.
func Do(ctx context.Context, hr *provider.HTTPRequest) (*http.Response, error) {
	return Default().Do(ctx, hr)
}

// NewHTTPClient returns a client tuned for LLM upstreams: generous idle pools (many requests
// to few hosts), bounded dial and TLS times, no overall timeout (streams last as long as the
// caller's context allows) and no redirects to a different host, which could carry a request
// the gateway signed for one host to another.
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 10 * time.Second
	tr.MaxIdleConns = 512
	tr.MaxIdleConnsPerHost = 128
	tr.IdleConnTimeout = 90 * time.Second
	tr.ExpectContinueTimeout = time.Second
	return &http.Client{Transport: tr, CheckRedirect: sameHostRedirects}
}

func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 || req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		return http.ErrUseLastResponse
	}
	return nil
}

// Do sends hr, signing it first when hr.Sign asks. Cancelling ctx aborts the upstream request
// at once, including a response body still being read. The caller closes the body. hr.Header
// becomes the request's: translators build one per call, and signing adds to it.
func (t *Transport) Do(ctx context.Context, hr *provider.HTTPRequest) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, hr.Method, hr.URL, bytes.NewReader(hr.Body))
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, stripURL(err), "invalid upstream request")
	}
	req.Header = hr.Header // the translator built it for this call: no copy (signing adds to it)
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if hr.Sign != nil {
		if err := t.sign(ctx, req, hr); err != nil {
			return nil, err
		}
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, classify(ctx, err)
	}
	return resp, nil
}

// sign applies the signer the provider declared, with the credentials it read from its config.
func (t *Transport) sign(ctx context.Context, req *http.Request, hr *provider.HTTPRequest) error {
	switch s := hr.Sign; {
	case s.AWS != nil:
		return t.signAWS(ctx, req, hr, s.AWS)
	case s.Google != nil:
		return t.signGoogle(req, hr, s.Google)
	}
	return gateway.Errorf(gateway.CodeInternal, "the provider asked for signing without a signer")
}

// classify turns a client error into a safe gateway error. The URL is dropped from the cause
// because some providers put credentials in query strings.
func classify(ctx context.Context, err error) *gateway.Error {
	cause := describe(stripURL(err))
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return gateway.Wrap(gateway.CodeTimeout, cause, "provider did not answer in time")
	case errors.Is(ctx.Err(), context.Canceled):
		return gateway.Wrap(gateway.CodeUpstream, context.Canceled, "request cancelled")
	case errors.As(err, &ne) && ne.Timeout():
		return gateway.Wrap(gateway.CodeTimeout, cause, "provider did not answer in time")
	}
	var ge *gateway.Error
	if errors.As(err, &ge) {
		return ge // a signing step inside the round trip already decided
	}
	return gateway.Wrap(gateway.CodeUpstream, cause, "could not reach the provider")
}

// describe names the kind of network failure in front of the cause, so the log and the
// audit event say "DNS lookup failed", "connection refused", "TLS handshake failed" or "timed
// out" rather than only the Go error text.
func describe(err error) error {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var header tls.RecordHeaderError
	var alert tls.AlertError
	var ne net.Error
	kind := ""
	switch {
	case errors.As(err, &dns):
		kind = "DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		kind = "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		kind = "connection reset"
	case errors.As(err, &cert), errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &header), errors.As(err, &alert), strings.Contains(err.Error(), "tls: "):
		kind = "TLS handshake failed"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		kind = "timed out"
	default:
		return err
	}
	return fmt.Errorf("%s: %w", kind, err)
}

func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
