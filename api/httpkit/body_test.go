package httpkit

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// server answers 401 without a credential before reading anything, 413 past 1 MiB, else 200.
func bodyServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /q", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "no key"})
			return
		}
		if _, err := ReadBody(r, 1<<20); err != nil {
			WriteJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": gateway.ErrorMessage(err)})
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"ok": "yes"})
	})
	srv := httptest.NewServer(Middleware(slog.New(slog.NewTextHandler(io.Discard, nil)), mux))
	t.Cleanup(srv.Close)
	return srv
}

func dial(t *testing.T, srv *httptest.Server) net.Conn {
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Issue 10 finding 5: a declared body that never arrives must not delay an early error.
func TestEarlyErrorAnswersAtOnceWithoutWaitingForTheBody(t *testing.T) {
	srv := bodyServer(t)
	conn := dial(t, srv)
	if _, err := io.WriteString(conn, "POST /q HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(time.Second))
	rd := bufio.NewReader(conn)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("no answer within 1 s: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 401 || !resp.Close {
		t.Fatalf("status %d, close %v; want 401 closing the connection", resp.StatusCode, resp.Close)
	}
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("connection not closed after the early error: %v", err)
	}
}

// A request whose body was read keeps its connection for the next request, errors included.
func TestConnectionIsReusedAfterTheBodyWasRead(t *testing.T) {
	srv := bodyServer(t)
	conn := dial(t, srv)
	rd := bufio.NewReader(conn)
	for i := 0; i < 2; i++ {
		io.WriteString(conn, "POST /q HTTP/1.1\r\nHost: x\r\nAuthorization: k\r\nContent-Length: 2\r\n\r\n{}")
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("request %d: %d close=%v", i, resp.StatusCode, resp.Close)
		}
	}
}

// Issue 10 finding 11: a client that writes its whole body before reading (like Python's
// urllib) reads the 413 instead of a connection reset.
func TestTooLargeIsReadByAClientThatSendsEverythingFirst(t *testing.T) {
	srv := bodyServer(t)
	for _, declared := range []bool{true, false} {
		conn := dial(t, srv)
		body := bytes.Repeat([]byte("x"), 24<<20)
		head := "POST /q HTTP/1.1\r\nHost: x\r\nAuthorization: k\r\n"
		if declared {
			head += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
		} else {
			head += "Transfer-Encoding: chunked\r\n\r\n" + strconv.FormatInt(int64(len(body)), 16) + "\r\n"
		}
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(body); err != nil {
			t.Fatalf("declared=%v: writing the body: %v", declared, err)
		}
		if !declared {
			io.WriteString(conn, "\r\n0\r\n\r\n")
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("declared=%v: reading the answer: %v", declared, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 413 || !strings.Contains(string(msg), "exceeds 1048576 bytes") {
			t.Fatalf("declared=%v: %d %s", declared, resp.StatusCode, msg)
		}
	}
}
