// Command stack runs failhop's pipeline on this machine without Docker:
// Jaeger and the failhop collector on loopback, with the configs of
// collector-config/, until Ctrl-C. `make stack` runs it.
//
// Services then send OTLP to 127.0.0.1:4317 (gRPC) or :4318 (HTTP), the
// OpenTelemetry defaults, and traces show up at http://127.0.0.1:16686 and
// on failhop's page, http://127.0.0.1:16680 (FAILHOP_PAGE_PORT moves it).
// The variables of the configs move the ports (JAEGER_QUERY_PORT=...,
// COLLECTOR_OTLP_GRPC_ENDPOINT=127.0.0.1:..., see stack.PortsFromEnv).
// Before it starts anything, it checks that every port is free, and names
// the process that holds a taken one.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/failhop/failhop/internal/devstack/stack"
	"github.com/failhop/failhop/internal/present/webui"
)

func main() { os.Exit(run()) }

// run returns the exit status; its defers stop whatever it started.
func run() int {
	dir := flag.String("dir", ".cache/stack", "`directory` for the logs and the collector's persistent queue")
	flag.Parse()

	ports, err := stack.PortsFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		return 2
	}
	pagePort, err := webui.PortFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := stack.Start(ctx, stack.Config{Dir: *dir, Ports: ports, Progress: os.Stderr,
		AlsoCheck: []stack.Port{{Port: pagePort, What: "failhop's page", Move: "move it with " + webui.PortEnv + "=..."}}})
	if err != nil {
		stack.PrintError(os.Stderr, "stack: ", err)
		return 1
	}
	defer s.Close()
	page, err := webui.Start(net.JoinHostPort("127.0.0.1", strconv.Itoa(pagePort)), s.JaegerURL, s.JaegerURL, "")
	if err != nil {
		fmt.Fprintf(os.Stderr, "stack: failhop's page: %v (move it with %s=...)\n", err, webui.PortEnv)
		return 1
	}
	defer page.Close()
	fmt.Fprintf(os.Stderr, `
The failhop pipeline is up:
  failhop's page       %s   the failed requests, by the hop that broke them
  send traces (OTLP)   %s (gRPC), %s (HTTP)
  Jaeger               %s   search tag failhop.root_cause=true
  failhop why <trace-id> --jaeger %s
Press Ctrl-C to stop.
`, page.URL, s.OTLPGRPCEndpoint, s.OTLPHTTPEndpoint, s.JaegerURL, s.JaegerURL)
	<-ctx.Done()
	return 0
}
