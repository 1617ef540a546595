package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

// interimClient carries upstream calls until the transport package (signing, tuned pools)
// is wired in; it supports unsigned requests only.
var interimClient = &http.Client{Transport: &http.Transport{
	MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, ResponseHeaderTimeout: 0,
}}

func interimTransport(ctx context.Context, req *provider.HTTPRequest, _ map[string]string) (*http.Response, error) {
	if req.Sign != nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "this build cannot sign %s requests yet", req.Sign.Kind)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "building upstream request")
	}
	hr.Header = req.Header.Clone()
	resp, err := interimClient.Do(hr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, gateway.Wrap(gateway.CodeTimeout, err, "provider did not answer in time")
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, gateway.Wrap(gateway.CodeUpstream, err, "could not reach the provider")
	}
	return resp, nil
}
