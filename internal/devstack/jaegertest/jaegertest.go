// Package jaegertest runs a private Jaeger (bin/jaeger, built by `make
// bin/jaeger`) for a test: on free loopback ports, with memory storage and
// collector-config/jaeger.yaml, stopped when the test ends.
//
//	j := jaegertest.StartJaeger(t)
//	// send spans with OTLP to j.OTLPGRPCEndpoint or j.OTLPHTTPEndpoint,
//	// read them back from j.QueryURL.
package jaegertest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/failhop/failhop/internal/devstack/stack"
)

// Jaeger is a running Jaeger.
type Jaeger struct {
	// QueryURL is the query API's and UI's base URL, "http://127.0.0.1:PORT".
	QueryURL string
	// OTLPGRPCEndpoint is the OTLP/gRPC receiver's host:port (no scheme),
	// as otlptracegrpc.WithEndpoint takes it (with WithInsecure).
	OTLPGRPCEndpoint string
	// OTLPHTTPEndpoint is the OTLP/HTTP receiver's host:port (no scheme),
	// as otlptracehttp.WithEndpoint takes it (with WithInsecure); traces go
	// to http://OTLPHTTPEndpoint/v1/traces.
	OTLPHTTPEndpoint string

	*stack.Service
}

// StartJaeger starts Jaeger for t and stops it when t ends. It fails t if
// bin/jaeger has not been built, or Jaeger does not become ready.
func StartJaeger(t testing.TB) *Jaeger {
	t.Helper()
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatalf("jaegertest: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "bin", "jaeger")); err != nil {
		t.Fatalf("jaegertest: bin/jaeger not found: run `make bin/jaeger` first (it builds Jaeger from tools/go.mod, ~3 minutes the first time)")
	}
	// Free ports can be taken between the probe and Jaeger's start by
	// another process; try a few times.
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		ports, err := stack.Ports{}.WithFreePorts()
		if err != nil {
			t.Fatal(err)
		}
		svc := stack.JaegerService(root, t.TempDir(), ports)
		if lastErr = svc.Start(t.Context()); lastErr != nil {
			t.Logf("jaegertest: start attempt %d: %v", attempt, lastErr)
			continue
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("jaegertest: Jaeger's log (%s):\n%s", svc.LogFile(), svc.LogTail(200))
			}
			svc.Stop()
		})
		return &Jaeger{
			QueryURL:         "http://127.0.0.1:" + strconv.Itoa(ports.JaegerQuery),
			OTLPGRPCEndpoint: "127.0.0.1:" + strconv.Itoa(ports.JaegerOTLPGRPC),
			OTLPHTTPEndpoint: "127.0.0.1:" + strconv.Itoa(ports.JaegerOTLPHTTP),
			Service:          svc,
		}
	}
	t.Fatalf("jaegertest: Jaeger did not start: %v", lastErr)
	return nil
}
