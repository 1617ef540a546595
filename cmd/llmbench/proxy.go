package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"
)

// The floor every gateway is compared with: a bare net/http/httputil.ReverseProxy hop with
// nothing on it, run as its own process (llmbench re-executing itself with -proxy) so that
// its CPU is measured from /proc exactly like the gateway's.

// runProxy serves a reverse proxy to target on a free loopback port and prints the address.
func runProxy(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	return (&http.Server{Handler: newProxy(u), ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

// newProxy is the bare hop: a ReverseProxy that streams events as they come, as the gateway
// does. Each request is full duplex: net/http's HTTP/1 server otherwise closes a request body
// as soon as the handler starts its answer, and when the upstream answers (and the proxy
// flushes the headers of a stream) before the proxy's transport has finished reading that
// body to its end, the transport's write fails and it closes the upstream connection under
// the answer being copied ("ReverseProxy read error during body copy: use of closed network
// connection"), which the caller sees as an unexpected EOF.
func newProxy(target *url.URL) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	rp.Transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).EnableFullDuplex(); err != nil {
			http.Error(w, "bare proxy: "+err.Error(), http.StatusInternalServerError)
			return
		}
		rp.ServeHTTP(w, r)
		// When the upstream could not be reached the body is still unread; in full duplex
		// net/http then panics reading the connection's next request. Drain it first.
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	})
}

// startProxy runs this binary as the bare proxy in front of target.
func startProxy(target string) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-proxy", target)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	line, err := readLine(out, 10*time.Second)
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("bare proxy did not print its address: %w", err)
	}
	p.url = "http://" + strings.TrimSpace(line)
	return p, nil
}
