package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

func converseRequest(base, model string, sign provider.AWSSigV4) *provider.HTTPRequest {
	sign.Region, sign.Service = "us-east-1", "bedrock"
	return &provider.HTTPRequest{
		Method: http.MethodPost,
		URL:    base + "/model/" + model + "/converse",
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   []byte(`{"messages":[{"role":"user","content":[{"text":"hello"}]}]}`),
		Sign:   &provider.Signing{AWS: &sign},
	}
}

func TestSigV4VerifiedByFake(t *testing.T) {
	fake := fakeupstream.New(fakeupstream.Options{})
	ts := httptest.NewServer(fake)
	defer ts.Close()
	tr := New(Options{})
	tests := []struct {
		name   string
		sign   provider.AWSSigV4
		status int
	}{
		{"static keys", provider.AWSSigV4{AccessKeyID: fakeupstream.TestAWSAccessKeyID, SecretAccessKey: fakeupstream.TestAWSSecretAccessKey}, 200},
		{"wrong secret", provider.AWSSigV4{AccessKeyID: fakeupstream.TestAWSAccessKeyID, SecretAccessKey: "wrong"}, 403},
		{"assumed role via STS", provider.AWSSigV4{AccessKeyID: fakeupstream.TestAWSAccessKeyID, SecretAccessKey: fakeupstream.TestAWSSecretAccessKey,
			RoleARN: "arn:aws:iam::123456789012:role/llm", STSEndpoint: ts.URL + "/_sts"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tr.Do(context.Background(), converseRequest(ts.URL, "amazon.nova-lite-v1:0", tt.sign))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
		})
	}
	<-fake.Idle()
	var roleCalls, bedrockWithTempKey int
	for _, r := range fake.Requests() {
		if r.Provider == "sts" {
			roleCalls++
		}
		if r.Provider == "bedrock" && strings.HasPrefix(r.Credential, "ASIAFAKE") && r.Authorized {
			bedrockWithTempKey++
		}
	}
	if roleCalls != 1 || bedrockWithTempKey != 1 {
		t.Fatalf("sts calls %d, bedrock calls with temporary key %d; want 1 and 1", roleCalls, bedrockWithTempKey)
	}
	// A second request with the same role reuses the cached temporary credentials.
	resp, err := tr.Do(context.Background(), converseRequest(ts.URL, "m", tests[2].sign))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("second role call: %v %v", resp, err)
	}
	resp.Body.Close()
	<-fake.Idle()
	roleCalls = 0
	for _, r := range fake.Requests() {
		if r.Provider == "sts" {
			roleCalls++
		}
	}
	if roleCalls != 1 {
		t.Errorf("STS called %d times, want 1 (cached)", roleCalls)
	}
}

func TestMissingAWSKeys(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	_, err := New(Options{}).Do(context.Background(), converseRequest("http://127.0.0.1:1", "m", provider.AWSSigV4{}))
	if gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("err = %v, want invalid", err)
	}
}

func TestCancellationAbortsUpstream(t *testing.T) {
	fake := fakeupstream.New(fakeupstream.Options{})
	ts := httptest.NewServer(fake)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	hr := &provider.HTTPRequest{Method: http.MethodPost, URL: ts.URL + "/v1/chat/completions",
		Header: http.Header{"Authorization": {"Bearer " + fakeupstream.DefaultKey("openai")}},
		Body:   []byte(`{"model":"fake-hang","messages":[{"role":"user","content":"hi"}]}`)}
	errc := make(chan error, 1)
	go func() {
		_, err := New(Options{}).Do(ctx, hr)
		errc <- err
	}()
	for len(fake.Requests()) == 0 {
		select {
		case err := <-errc:
			t.Fatalf("hang answered: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) || gateway.ErrorCode(err) != gateway.CodeUpstream {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Do did not return after cancel")
	}
	select {
	case <-fake.Idle():
	case <-time.After(5 * time.Second):
		t.Fatal("upstream request still running after cancel")
	}
	if r := fake.Requests()[0]; !r.Cancelled {
		t.Fatalf("upstream did not see the cancellation: %+v", r)
	}
}

func TestDeadlineIsTimeout(t *testing.T) {
	ts := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	hr := &provider.HTTPRequest{Method: http.MethodPost, URL: ts.URL + "/v1/chat/completions",
		Header: http.Header{"Authorization": {"Bearer " + fakeupstream.DefaultKey("openai")}},
		Body:   []byte(`{"model":"fake-hang","messages":[{"role":"user","content":"hi"}]}`)}
	_, err := New(Options{}).Do(ctx, hr)
	if gateway.ErrorCode(err) != gateway.CodeTimeout {
		t.Fatalf("err = %v, want timeout", err)
	}
}

func TestConnectionErrorIsUpstreamWithoutURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	hr := &provider.HTTPRequest{Method: http.MethodPost, URL: "http://" + addr + "/v1/chat?key=secret-in-query", Header: http.Header{}}
	_, err = New(Options{}).Do(context.Background(), hr)
	if gateway.ErrorCode(err) != gateway.CodeUpstream || strings.Contains(err.Error(), "secret-in-query") {
		t.Fatalf("err = %v", err)
	}
}

func TestNoCrossHostRedirect(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("request followed a redirect to another host")
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.RedirectHandler(other.URL+"/x", http.StatusTemporaryRedirect))
	defer redirector.Close()
	resp, err := New(Options{}).Do(context.Background(), &provider.HTTPRequest{Method: http.MethodPost, URL: redirector.URL, Header: http.Header{}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("status %d, want the 307 itself", resp.StatusCode)
	}
}

// A signer's credentials never show when the request is formatted into a log line or error.
func TestSigningPrintsWithoutSecrets(t *testing.T) {
	s := &provider.Signing{AWS: &provider.AWSSigV4{Region: "us-east-1", AccessKeyID: "AKIDSECRETID", SecretAccessKey: "SECRETKEY", SessionToken: "SECRETTOKEN"},
		Google: &provider.GoogleOAuth{CredentialsJSON: `{"private_key":"SECRETPEM"}`}}
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", s.AWS, *s.AWS, s.AWS, s.AWS), fmt.Sprintf("%v %+v %#v", s.Google, *s.Google, s.Google)} {
		if strings.Contains(out, "SECRET") {
			t.Fatalf("formatted signer shows a secret: %s", out)
		}
	}
}
