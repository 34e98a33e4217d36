package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/internal/jaegertest"
	"github.com/failhop/failhop/internal/render"
)

// serviceProvider returns a tracer provider for one service that exports
// to Jaeger over OTLP/gRPC.
func serviceProvider(t *testing.T, j *jaegertest.Jaeger, name string) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := otlptracegrpc.New(t.Context(), otlptracegrpc.WithEndpoint(j.OTLPGRPCEndpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(name), semconv.ServiceVersion("1.0.0"))),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// TestAgainstJaeger sends real traces from two instrumented services to a
// real Jaeger, then asks `failhop why` and `failhop errors` about them.
func TestAgainstJaeger(t *testing.T) {
	j := jaegertest.StartJaeger(t)
	prop := propagation.TraceContext{}
	ordersTP, paymentsTP := serviceProvider(t, j, "orders"), serviceProvider(t, j, "payments")

	paymentsMux := http.NewServeMux()
	paymentsMux.HandleFunc("POST /charge", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]int
		//lint:ignore SA5000 the bug this test needs: a panic in a service
		m["card"]++ // a bug: assignment to entry in nil map
	})
	payments := httptest.NewServer(instrument.Handler(paymentsMux, "payments",
		instrument.WithTracerProvider(paymentsTP), instrument.WithPropagators(prop)))
	t.Cleanup(payments.Close)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()

	client := &http.Client{Transport: instrument.Transport(nil, instrument.WithTracerProvider(ordersTP), instrument.WithPropagators(prop))}
	ordersMux := http.NewServeMux()
	ordersMux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		target := payments.URL
		switch r.URL.Query().Get("payments") {
		case "down":
			target = down
		case "prepaid":
			w.WriteHeader(http.StatusCreated)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, target+"/charge", nil)
		resp, err := client.Do(req)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})
	orders := httptest.NewServer(instrument.Handler(ordersMux, "orders",
		instrument.WithTracerProvider(ordersTP), instrument.WithPropagators(prop)))
	t.Cleanup(orders.Close)

	// order sends one request and returns its trace ID, from the
	// Traceresponse header of a failed answer ("" for a success).
	order := func(query string) string {
		resp, err := http.Post(orders.URL+"/orders"+query, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 500 {
			return ""
		}
		parts := strings.Split(resp.Header.Get(instrument.TraceResponseHeader), "-")
		if len(parts) != 4 {
			t.Fatalf("status %d without a trace reference", resp.StatusCode)
		}
		return parts[1]
	}
	panicTrace := order("")
	downTrace := order("?payments=down")
	order("?payments=prepaid")

	tests := []struct {
		trace    string
		wantHop  string
		wantCase string
	}{
		{panicTrace, "orders → payments POST /charge", "panic"},
		{downTrace, "orders → " + strings.TrimPrefix(down, "http://") + " POST /charge", "peer_unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.wantCase, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "why", "--json", "--wait", "20s", "--jaeger", j.QueryURL, tt.trace)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r analyzer.Report
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			if !r.Failed || len(r.Hops) != 1 || r.Hops[0].Description != tt.wantHop || string(r.Hops[0].Cause) != tt.wantCase {
				t.Fatalf("report: failed=%v hops=%+v, want %q / %s", r.Failed, r.Hops, tt.wantHop, tt.wantCase)
			}
			if tt.wantCase == "panic" && !strings.Contains(r.Hops[0].Stack, "TestAgainstJaeger") {
				t.Errorf("the panic's stack does not show the panicking function:\n%s", r.Hops[0].Stack)
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		var rep render.ErrorsReport
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, stdout, stderr := runCLI(t, "errors", "--json", "--service", "orders", "--jaeger", j.QueryURL)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Traces == 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if rep.Traces != 3 || rep.Failed != 2 || len(rep.Groups) != 2 {
			t.Fatalf("errors report: %+v, want 2 failed requests of 3, in 2 groups", rep)
		}
		for _, g := range rep.Groups {
			if g.Count != 1 || g.Versions["1.0.0"] != 1 || len(g.TraceIDs) != 1 {
				t.Errorf("group %+v", g)
			}
		}
	})

	t.Run("not found", func(t *testing.T) {
		code, _, stderr := runCLI(t, "why", "--jaeger", j.QueryURL, "0123456789abcdef0123456789abcdef")
		if code != exitFailed || !strings.Contains(stderr, "not found") {
			t.Errorf("exit %d, stderr %q; want 1 and 'not found'", code, stderr)
		}
	})
}
