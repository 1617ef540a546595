package httpkit

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// How an error answered before the request body was read ends, so that neither side waits on
// the other:
//
//   - An early error (401, 404, 429, … before the handler read the body) goes out with
//     `Connection: close` and the connection stops reading at once. Otherwise net/http would
//     first try to read the unread body to reuse the connection, so a client that declared a
//     body and never sent it held the connection, and got no answer, until the read timeout.
//   - A 413 is the exception: clients such as Python's urllib send the whole body before they
//     read anything, and a connection closed under them while they write is reset, losing the
//     413. So after a 413 the rest of the body is read and discarded, up to TooLargeDrainBytes
//     and TooLargeDrainTime, before the connection closes.
const (
	TooLargeDrainBytes = 64 << 20
	TooLargeDrainTime  = 10 * time.Second
)

// trackedBody notes whether the handler read the request body to its end.
type trackedBody struct {
	io.ReadCloser
	eof atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof.Store(true)
	}
	return n, err
}

// unread reports whether the request declared a body that the handler did not read to its end.
func unread(r *http.Request, b *trackedBody) bool {
	return b != nil && r.ContentLength != 0 && !b.eof.Load()
}

// trackBody wraps r.Body (nil when the request has none).
func trackBody(r *http.Request) *trackedBody {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b := &trackedBody{ReadCloser: r.Body}
	r.Body = b
	return b
}

// finishUnread ends a request whose body the handler left unread after an error: after a 413
// it drains a bounded amount of the body, otherwise it stops reading at once.
func finishUnread(w http.ResponseWriter, r *http.Request, b *trackedBody, status int) {
	if status < 400 || !unread(r, b) {
		return
	}
	rc := http.NewResponseController(w)
	if status != http.StatusRequestEntityTooLarge || r.ContentLength > TooLargeDrainBytes {
		_ = rc.SetReadDeadline(time.Now()) // the server's own discard fails at once
		return
	}
	_ = rc.Flush() // the 413 is on the wire while the client still writes
	_ = rc.SetReadDeadline(time.Now().Add(TooLargeDrainTime))
	_, _ = io.CopyN(io.Discard, b.ReadCloser, TooLargeDrainBytes)
	_ = rc.SetReadDeadline(time.Now())
}
