package instrumentgrpc_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/failhop/failhop/instrument/instrumentgrpc"
	"github.com/failhop/failhop/instrument/internal/spantest"
	"github.com/failhop/failhop/vocab"
)

// backendEnv makes the test binary run as the gRPC backend of
// TestOriginAcrossProcesses instead of running tests.
const backendEnv = "FAILHOP_TEST_GRPC_BACKEND"

func TestMain(m *testing.M) {
	if os.Getenv(backendEnv) == "1" {
		runBackend()
		return
	}
	// The panics the tests cause are logged; their text is not the tests'.
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// runBackend serves the test service with ServerOptions and prints its
// address, then the ID of each server span that failed, on stdout.
func runBackend() {
	sr, tp := newSpanPrinter()
	rec := &recorder{&spantest.Recorder{SpanRecorder: sr, TP: tp}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := grpc.NewServer(instrumentgrpc.ServerOptions(rec.options()...)...)
	healthpb.RegisterHealthServer(srv, &health{rec: rec})
	fmt.Println(ln.Addr())
	_ = srv.Serve(ln)
}

// TestOriginAcrossProcesses calls a gRPC backend in another process over a
// real connection and checks that the client span names the backend's
// origin span and cause, as its trailer reported them.
func TestOriginAcrossProcesses(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), backendEnv+"=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out := bufio.NewReader(stdout)
	addr, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("backend did not start: %v", err)
	}
	rec := newRecorder(t)
	client := dial(t, strings.TrimSpace(addr), instrumentgrpc.DialOptions(rec.options()...)...)
	if err := call(t.Context(), client, false, "panic"); err == nil {
		t.Fatal("the call succeeded")
	}
	origin, err := out.ReadString('\n') // the backend's failed server span
	if err != nil {
		t.Fatal(err)
	}
	checkMarks(t, rec.span(t, trace.SpanKindClient), marks{propagated: true, cause: vocab.CausePanic,
		originSpanID: strings.TrimSpace(origin), errorType: "INTERNAL", status: otelcodes.Error})
}
