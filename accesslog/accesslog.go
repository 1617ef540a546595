// Package accesslog writes one JSON line per query — the access event's fields (user,
// organizations, endpoint, provider, model, tokens, cost, latency, outcome, status, request id)
// with its time and its place in the audit chain — for shipping to a log pipeline. Lines come
// from access events once they are durable (audit.Writer.SetCommitted), so the log never
// shows a query the audit trail lacks. A bounded queue and one writer goroutine keep it off the
// query path; lines that find the queue full are dropped and counted.
package accesslog

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Log is a running access log.
type Log struct {
	queue   chan []byte
	out     io.Writer
	close   func() error
	dropped atomic.Int64
	done    chan struct{}
	log     *slog.Logger
}

// Open starts a log writing to dest: "stdout", "stderr", or a file path (appended, 0600).
func Open(dest string, log *slog.Logger) (*Log, error) {
	l := &Log{queue: make(chan []byte, 4096), done: make(chan struct{}), log: log, close: func() error { return nil }}
	switch dest {
	case "stdout":
		l.out = os.Stdout
	case "stderr":
		l.out = os.Stderr
	default:
		f, err := os.OpenFile(dest, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		l.out, l.close = f, f.Close
	}
	go l.loop()
	return l, nil
}

func (l *Log) loop() {
	defer close(l.done)
	for line := range l.queue {
		if _, err := l.out.Write(line); err != nil {
			l.log.Error("writing the access log", "err", err)
		}
	}
}

// Committed queues a line for each access event of a durable batch.
func (l *Log) Committed(events []*gateway.AuditEvent) {
	for _, ev := range events {
		if ev.Kind != gateway.KindAccessEndpoint {
			continue
		}
		fields := make(map[string]any, len(ev.Metadata)+4)
		for k, v := range ev.Metadata {
			fields[k] = v
		}
		fields["time"] = ev.Timestamp.UTC().Format(time.RFC3339Nano)
		fields["eventId"], fields["seq"], fields["hash"] = ev.ID, ev.Seq, ev.Hash
		line, err := json.Marshal(fields)
		if err != nil {
			continue
		}
		select {
		case l.queue <- append(line, '\n'):
		default:
			if l.dropped.Add(1)%1000 == 1 {
				l.log.Warn("access log queue full: lines dropped", "dropped", l.dropped.Load())
			}
		}
	}
}

// Dropped is how many lines found the queue full.
func (l *Log) Dropped() int64 { return l.dropped.Load() }

// Close writes what is queued and closes the file. No Committed call may follow.
func (l *Log) Close() error {
	close(l.queue)
	<-l.done
	return l.close()
}
