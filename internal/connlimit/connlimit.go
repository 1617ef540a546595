// Package connlimit caps the connections a server holds open, because each costs a file
// descriptor and memory and an unbounded number lets idle clients exhaust the process's file
// limit. Beyond the cap, Accept waits (new clients queue in the kernel's backlog) until a
// connection closes; to make room it first closes the longest-idle keep-alive connection,
// which serves nobody, so waiting callers are not starved by idle ones.
package connlimit

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Listener is a net.Listener holding at most max connections open. Set the server's ConnState
// to its ConnState method so it knows which connections are idle.
type Listener struct {
	net.Listener
	slots chan struct{}
	idled chan struct{} // a connection went idle while Accept may be waiting
	done  chan struct{}
	once  sync.Once

	mu   sync.Mutex
	idle map[net.Conn]time.Time // connections between requests, with the time they went idle
}

// New wraps inner; max must be at least 1.
func New(inner net.Listener, max int) *Listener {
	return &Listener{Listener: inner, slots: make(chan struct{}, max), idled: make(chan struct{}, 1),
		done: make(chan struct{}), idle: map[net.Conn]time.Time{}}
}

// Accept waits for a free slot, closing an idle connection to make one if needed.
func (l *Listener) Accept() (net.Conn, error) {
	if err := l.acquire(); err != nil {
		return nil, err
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &conn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *Listener) acquire() error {
	for {
		select {
		case l.slots <- struct{}{}:
			return nil
		default:
		}
		if l.closeOldestIdle() {
			continue
		}
		select {
		case l.slots <- struct{}{}:
			return nil
		case <-l.idled:
		case <-l.done:
			return net.ErrClosed
		}
	}
}

// closeOldestIdle closes the connection idle the longest; false when none is idle.
func (l *Listener) closeOldestIdle() bool {
	l.mu.Lock()
	var oldest net.Conn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	delete(l.idle, oldest)
	l.mu.Unlock()
	if oldest == nil {
		return false
	}
	oldest.Close() // releases its slot
	return true
}

// ConnState tracks idle connections; use it as http.Server.ConnState.
func (l *Listener) ConnState(c net.Conn, s http.ConnState) {
	l.mu.Lock()
	if s == http.StateIdle {
		l.idle[c] = time.Now()
	} else {
		delete(l.idle, c)
	}
	l.mu.Unlock()
	if s == http.StateIdle {
		select {
		case l.idled <- struct{}{}:
		default:
		}
	}
}

// Close stops accepting; a waiting Accept returns net.ErrClosed.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// conn gives its slot back once, however often it is closed.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
