// Package webhook delivers JSON bodies (budget alerts, audit events) to an operator's URL, signed with
// HMAC-SHA256 (header X-Llmgate-Signature: t=<unix seconds>,v1=<hex of HMAC(secret,
// "<t>.<body>")>), retried with exponential backoff and jitter, from a bounded queue that never
// blocks the query path. A delivery that fails for good (or finds the queue full) is reported
// to OnFailure, which the gateway audits.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// SignatureHeader carries the signature; Verify checks it.
const SignatureHeader = "X-Llmgate-Signature"

// Options configure a Sender.
type Options struct {
	Secret    string        // HMAC key; required
	Attempts  int           // default 5
	Backoff   time.Duration // first retry delay, doubled each time (default 1s)
	QueueSize int           // default 256
	OnFailure func(url string, body []byte, err error)
	Client    *http.Client // default: 10 s timeout
}

type job struct {
	url  string
	body []byte
}

// Sender delivers alerts in the background.
type Sender struct {
	o     Options
	queue chan job
	done  chan struct{}
}

// Start returns a sender working until ctx ends.
func Start(ctx context.Context, o Options) *Sender {
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Sender{o: o, queue: make(chan job, o.QueueSize), done: make(chan struct{})}
	go s.loop(ctx)
	return s
}

// Send queues body for url without waiting.
func (s *Sender) Send(url string, body []byte) {
	select {
	case s.queue <- job{url, body}:
	default:
		s.fail(url, body, fmt.Errorf("alert queue full (%d)", cap(s.queue)))
	}
}

func (s *Sender) loop(ctx context.Context) {
	defer close(s.done)
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.queue:
			if err := s.deliver(ctx, j); err != nil {
				s.fail(j.url, j.body, err)
			}
		}
	}
}

func (s *Sender) fail(url string, body []byte, err error) {
	if s.o.OnFailure != nil {
		s.o.OnFailure(url, body, err)
	}
}

// deliver tries up to Attempts times; a 2xx answer is success.
func (s *Sender) deliver(ctx context.Context, j job) error {
	var last error
	wait := s.o.Backoff
	for attempt := 1; attempt <= s.o.Attempts; attempt++ {
		if last = s.post(ctx, j); last == nil {
			return nil
		}
		if attempt == s.o.Attempts {
			break
		}
		jitter := time.Duration(rand.Int64N(int64(wait)/2 + 1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait + jitter):
		}
		wait *= 2
	}
	return fmt.Errorf("%d attempts failed, last: %w", s.o.Attempts, last)
}

func (s *Sender) post(ctx context.Context, j job) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.url, bytes.NewReader(j.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(s.o.Secret, time.Now(), j.body))
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Sign is the signature header value for body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against body, accepting timestamps within tolerance of now.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) bool {
	var ts, sig string
	for _, part := range bytes.Split([]byte(header), []byte(",")) {
		k, v, _ := bytes.Cut(part, []byte("="))
		switch string(k) {
		case "t":
			ts = string(v)
		case "v1":
			sig = string(v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > tolerance {
		return false
	}
	want := Sign(secret, time.Unix(sec, 0), body)
	return hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig))
}
