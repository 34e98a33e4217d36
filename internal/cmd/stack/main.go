// Command stack runs failhop's pipeline on this machine without Docker:
// Jaeger and the failhop collector on loopback, with the configs of
// collector-config/, until Ctrl-C. `make stack` runs it.
//
// Services then send OTLP to 127.0.0.1:4317 (gRPC) or :4318 (HTTP), the
// OpenTelemetry defaults, and traces show up at http://127.0.0.1:16686.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/failhop/failhop/internal/stack"
)

func main() {
	dir := flag.String("dir", ".cache/stack", "`directory` for the logs and the collector's persistent queue")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := stack.Start(ctx, stack.Config{Dir: *dir, Ports: stack.DefaultPorts, Progress: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, `
The failhop pipeline is up:
  send traces (OTLP)   %s (gRPC), %s (HTTP)
  Jaeger               %s   search tag failhop.root_cause=true
  failhop why <trace-id> --jaeger %s
Press Ctrl-C to stop.
`, s.OTLPGRPCEndpoint, s.OTLPHTTPEndpoint, s.JaegerURL, s.JaegerURL)
	<-ctx.Done()
	s.Close()
}
