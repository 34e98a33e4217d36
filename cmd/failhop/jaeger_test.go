package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	"github.com/failhop/failhop/internal/devstack/jaegertest"
	"github.com/failhop/failhop/internal/present/render"
	"github.com/failhop/failhop/internal/present/webui"
	"github.com/failhop/failhop/jaeger"
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
		{downTrace, "orders → " + strings.TrimPrefix(down, "http://") + " POST", "peer_unreachable"},
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

	t.Run("evidence", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "why", "--json", "--jaeger", j.QueryURL, downTrace)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r analyzer.Report
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, a := range r.Hops[0].Evidence {
			got[a.Key] = a.Value
		}
		if got["url.full"] != down+"/charge" || got["error.type"] != "connection_refused" || r.Hops[0].Example != "POST /charge" {
			t.Errorf("evidence %v, example %q; want the URL, error.type and the call", r.Hops[0].Evidence, r.Hops[0].Example)
		}
		if !strings.Contains(r.Hops[0].CallSite, "TestAgainstJaeger") {
			t.Errorf("call site %q, want the test's handler, which made the call", r.Hops[0].CallSite)
		}
	})

	// The forms a user quotes: the Traceresponse header, with or without
	// its name, the error page's reference line, a link to the trace.
	t.Run("references", func(t *testing.T) {
		for _, ref := range []string{
			"00-" + panicTrace + "-00f067aa0ba902b7-01",
			"Traceresponse: 00-" + panicTrace + "-00f067aa0ba902b7-01",
			"Reference: " + panicTrace,
			"http://127.0.0.1:16680/trace/" + panicTrace,
		} {
			code, stdout, stderr := runCLI(t, "why", "--jaeger", j.QueryURL, "--page", "http://127.0.0.1:16999", ref)
			if code != exitOK || !strings.Contains(stdout, "trace "+panicTrace) {
				t.Errorf("why %q: exit %d, stdout %q, stderr %q", ref, code, stdout, stderr)
			}
			// This Jaeger serves no UI: the link is to failhop's page.
			if want := "  trace      http://127.0.0.1:16999/trace/" + panicTrace + "\n"; !strings.Contains(stdout, want) {
				t.Errorf("why %q links elsewhere than failhop's page %q:\n%s", ref, want, stdout)
			}
		}
		code, _, stderr := runCLI(t, "why", "--jaeger", j.QueryURL, "00-"+panicTrace+"-01")
		if code != exitUsage || !strings.Contains(stderr, "Traceresponse value (00-<trace id>-<span id>-01)") {
			t.Errorf("a malformed reference: exit %d, stderr %q; want 2 naming the accepted forms", code, stderr)
		}
	})

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

	t.Run("unknown service", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "errors", "--service", "nosuch", "--jaeger", j.QueryURL)
		if code != exitFailed || !strings.Contains(stderr, `no service "nosuch"; it knows "orders", "payments"`) || stdout != "" {
			t.Errorf("exit %d, stdout %q, stderr %q; want 1 naming the services Jaeger knows", code, stdout, stderr)
		}
	})

	t.Run("not found", func(t *testing.T) {
		code, _, stderr := runCLI(t, "why", "--wait", "0", "--jaeger", j.QueryURL, "0123456789abcdef0123456789abcdef")
		if code != exitFailed || !strings.Contains(stderr, "not found") {
			t.Errorf("exit %d, stderr %q; want 1 and 'not found'", code, stderr)
		}
	})

	// A trace that will never arrive: once the wait (the collector's
	// decision wait, shortened here) has passed, why says so and why.
	t.Run("never arrives", func(t *testing.T) {
		code, _, stderr := runCLI(t, "why", "--wait", "2s", "--jaeger", j.QueryURL, "0123456789abcdef0123456789abcdef")
		for _, want := range []string{"waiting up to 2s", "never exported or not kept", "exited without flushing", "OTEL_EXPORTER_OTLP_ENDPOINT", "sampling"} {
			if code != exitFailed || !strings.Contains(stderr, want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
			}
		}
	})
}

// TestOneOutageOneGroup: a thousand requests for a thousand review IDs
// that all fail on one dead peer are one failing hop, in `failhop errors`
// and on the page, not a group per ID.
func TestOneOutageOneGroup(t *testing.T) {
	j := jaegertest.StartJaeger(t)
	exp, err := otlptracegrpc.New(t.Context(), otlptracegrpc.WithEndpoint(j.OTLPGRPCEndpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("books"))))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reviews := "http://" + ln.Addr().String() // down: nothing listens
	ln.Close()
	client := &http.Client{Transport: instrument.Transport(nil, instrument.WithTracerProvider(tp), instrument.WithPeerService("reviews"))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /books/{id}", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, reviews+"/reviews/"+r.PathValue("id"), nil)
		if _, err := client.Do(req); err != nil {
			instrument.RecordError(r.Context(), err)
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	books := httptest.NewServer(instrument.Handler(mux, "books", instrument.WithTracerProvider(tp)))
	t.Cleanup(books.Close)
	const requests = 1000
	for id := range requests {
		resp, err := http.Get(books.URL + "/books/" + strconv.Itoa(id))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := tp.ForceFlush(t.Context()); err != nil {
		t.Fatal(err)
	}

	var rep render.ErrorsReport
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Second) {
		code, stdout, stderr := runCLI(t, "errors", "--json", "--service", "books", "--limit", "2000", "--jaeger", j.QueryURL)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Traces >= requests || time.Now().After(deadline) {
			break
		}
	}
	if rep.Failed != requests || len(rep.Groups) != 1 || rep.Groups[0].Count != requests {
		t.Fatalf("errors: %d failed of %d traces in %d groups (%+v); want %d in one group", rep.Failed, rep.Traces, len(rep.Groups), rep.Groups, requests)
	}
	if g := rep.Groups[0]; g.Description != "books → reviews GET" || !strings.HasPrefix(g.Example, "GET /reviews/") {
		t.Errorf("group %q, example %q; want the hop named by method and peer, a path as example", g.Description, g.Example)
	}

	page := httptest.NewServer(webui.New(jaeger.New(j.QueryURL), j.QueryURL, nil).Handler())
	t.Cleanup(page.Close)
	resp, err := http.Get(page.URL + "/?service=books")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n := strings.Count(string(body), `<li class="group">`); resp.StatusCode != http.StatusOK || n != 1 || !strings.Contains(string(body), "books → reviews GET") {
		t.Errorf("the page: status %d, %d groups; want one, books → reviews GET:\n%s", resp.StatusCode, n, body)
	}
}
