// Command fakeupstream runs the fake LLM provider server (package fakeupstream) as a process,
// for the Python end-to-end tests and benchmarks that cannot embed it through httptest.
//
//	fakeupstream -addr 127.0.0.1:0 -print-addr
//
// With -print-addr the chosen address ("127.0.0.1:41234") is printed on stdout as the first
// line once the listener is open, so a harness can start it on a free port and read where it
// is. Valid credentials: fakeupstream.DefaultKey(provider) for every provider (e.g.
// "fake-openai-key") unless -keys gives a JSON object {"provider": ["key", ...]}; AWS SigV4
// uses fakeupstream.TestAWSAccessKeyID / TestAWSSecretAccessKey; Vertex AI takes an OAuth
// token issued by the fake itself to the service account served at
// /_fake/vertex-service-account.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
)

func main() {
	if err := run(); err != nil {
		slog.Error("fakeupstream", "err", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	printAddr := flag.Bool("print-addr", false, "print the listening address on stdout")
	keys := flag.String("keys", "", `valid credentials as JSON {"provider": ["key", ...]}`)
	flag.Parse()

	var opts fakeupstream.Options
	if *keys != "" {
		if err := json.Unmarshal([]byte(*keys), &opts.Keys); err != nil {
			return fmt.Errorf("parse -keys: %w", err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *printAddr {
		fmt.Println(ln.Addr().String())
	}
	srv := &http.Server{Handler: fakeupstream.New(opts), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
