package e2e

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/internal/e2e"
)

// Issue 10 finding 18: idle connections were never capped (19,980 hit the file limit). With
// --max-connections 4, 40 keep-alive connections each get their answer because the
// longest-idle ones are closed to make room, the gateway stays healthy, and a connection idle
// past --idle-timeout is closed.
func TestConnectionsAreCappedAndIdleOnesClosed(t *testing.T) {
	g := e2e.Start(t, e2e.Options{ExtraArgs: []string{"--max-connections", "4", "--idle-timeout", "1s"}})
	addr := strings.TrimPrefix(g.URL, "http://")
	type client struct {
		conn net.Conn
		rd   *bufio.Reader
	}
	var clients []client
	for i := 0; i < 40; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		rd := bufio.NewReader(c)
		resp, err := http.ReadResponse(rd, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d: %v %v", i, resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		clients = append(clients, client{c, rd})
	}
	closed := 0
	for _, c := range clients[:36] {
		c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.rd.ReadByte(); err == io.EOF {
			closed++
		}
	}
	if closed != 36 {
		t.Fatalf("%d of the 36 oldest idle connections were closed, want all", closed)
	}
	last := clients[39]
	last.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := last.rd.ReadByte(); err != io.EOF {
		t.Fatalf("an idle connection outlived --idle-timeout 1s: %v", err)
	}
	if r := e2e.Do(t, g.URL, "GET", "/health", nil, nil); r.Status != 200 {
		t.Fatalf("health after the flood: %d", r.Status)
	}
}

// Issue 10 finding 5's other half: a body that trickles in or stops holds its connection only
// for --read-timeout (it was a fixed 2 minutes); the client then gets a 400 and the connection
// closes.
func TestStalledBodyIsCutAtReadTimeout(t *testing.T) {
	g := e2e.Start(t, e2e.Options{ExtraArgs: []string{"--read-timeout", "1s"}})
	_, key := g.CreateUser(t, "slow", false)
	c, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+key+
		"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":")
	start := time.Now()
	c.SetReadDeadline(start.Add(5 * time.Second))
	rd := bufio.NewReader(c)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body within 5 s: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !resp.Close || !strings.Contains(string(body), "could not read request body") {
		t.Fatalf("%d close=%v %s", resp.StatusCode, resp.Close, body)
	}
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("connection not closed: %v", err)
	}
}
