package connlimit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// server serves /ok at once and /hold until release is closed, with at most max connections.
func server(t *testing.T, max int, release chan struct{}) string {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := New(inner, max)
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "held")
	})
	srv := &http.Server{Handler: mux, ConnState: ln.ConnState}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return inner.Addr().String()
}

type client struct {
	net.Conn
	rd *bufio.Reader
}

func open(t *testing.T, addr string) *client {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{Conn: c, rd: bufio.NewReader(c)}
}

func (c *client) send(path string) {
	io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
}

// answer reads one response within d; "" when none came.
func (c *client) answer(d time.Duration) string {
	c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(c.rd, nil)
	if err != nil {
		return ""
	}
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Issue 10 finding 18: beyond the cap a new connection is served by closing an idle one.
func TestIdleConnectionsMakeRoomForNewOnes(t *testing.T) {
	addr := server(t, 2, nil)
	a, b := open(t, addr), open(t, addr)
	for _, c := range []*client{a, b} {
		c.send("/ok")
		if got := c.answer(5 * time.Second); got != "ok" {
			t.Fatalf("first requests: %q", got)
		}
	}
	for i := 0; i < 3; i++ { // each new connection evicts the longest-idle one
		c := open(t, addr)
		c.send("/ok")
		if got := c.answer(5 * time.Second); got != "ok" {
			t.Fatalf("connection %d beyond the cap not served: %q", i, got)
		}
	}
	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := a.rd.ReadByte(); err != io.EOF {
		t.Fatalf("the oldest idle connection was not closed: %v", err)
	}
}

// Connections beyond the cap wait while every slot is busy, and are served once one frees.
func TestBusyConnectionsMakeNewOnesWait(t *testing.T) {
	release := make(chan struct{})
	addr := server(t, 2, release)
	a, b := open(t, addr), open(t, addr)
	a.send("/hold")
	b.send("/hold")
	c := open(t, addr) // the kernel accepts it; the server does not take it yet
	c.send("/ok")
	if got := c.answer(300 * time.Millisecond); got != "" {
		t.Fatalf("a third connection was served while two were busy: %q", got)
	}
	close(release)
	for _, x := range []*client{a, b} {
		if got := x.answer(5 * time.Second); got != "held" {
			t.Fatalf("held request: %q", got)
		}
	}
	if got := c.answer(5 * time.Second); got != "ok" {
		t.Fatalf("waiting connection not served after slots freed: %q", got)
	}
}
