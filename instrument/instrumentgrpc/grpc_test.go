package instrumentgrpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentgrpc"
	"github.com/failhop/failhop/instrument/internal/spantest"
	"github.com/failhop/failhop/vocab"
)

// The tests run a real gRPC server on loopback: the health service, whose
// Check (unary) and Watch (server stream) do what the service name says
// (see behave).

// recorder is a tracer provider whose ended spans the test reads.
type recorder struct{ *spantest.Recorder }

func newRecorder(t testing.TB) *recorder { return &recorder{spantest.NewRecorder(t)} }

func (r *recorder) options(extra ...instrument.Option) []instrument.Option {
	return append([]instrument.Option{instrument.WithTracerProvider(r.TP), instrument.WithPropagators(propagation.TraceContext{})}, extra...)
}

// span returns the only ended span of kind, waiting a little for it (a
// server span ends after its answer went out); it fails otherwise.
func (r *recorder) span(t testing.TB, kind trace.SpanKind) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		found = found[:0]
		for _, s := range r.Ended() {
			if s.SpanKind() == kind {
				found = append(found, s)
			}
		}
		if len(found) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %v span, got %d", kind, len(found))
	}
	return found[0]
}

// marks are the failhop marks of a span, and its status and error.type.
type marks struct {
	origin, propagated bool
	cause              vocab.Cause
	originSpanID       string
	errorType          string
	status             otelcodes.Code
}

func marksOf(s sdktrace.ReadOnlySpan) marks {
	a := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		a[kv.Key] = kv.Value
	}
	return marks{
		origin:       a[vocab.KeyOrigin].AsBool(),
		propagated:   a[vocab.KeyPropagated].AsBool(),
		cause:        vocab.Cause(a[vocab.KeyCause].AsString()),
		originSpanID: a[vocab.KeyOriginSpanID].AsString(),
		errorType:    a["error.type"].AsString(),
		status:       s.Status().Code,
	}
}

func checkMarks(t testing.TB, s sdktrace.ReadOnlySpan, want marks) {
	t.Helper()
	if got := marksOf(s); got != want {
		t.Errorf("span %q (%v) marks = %+v, want %+v", s.Name(), s.SpanKind(), got, want)
	}
}

// health is the test service.
type health struct {
	healthpb.UnimplementedHealthServer
	rec *recorder
}

// behave does what the service name of a request says.
func (h *health) behave(ctx context.Context, service string) error {
	switch service {
	case "panic":
		panic("secret panic text: password=hunter2")
	case "error":
		return errors.New("boom")
	case "child":
		// A failing HTTP call under the handler: the server span passes it on.
		client := &http.Client{Transport: instrument.Transport(nil, h.rec.options()...)}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
		return status.Error(codes.Internal, "stock unavailable")
	case "invalid":
		return status.Error(codes.InvalidArgument, "bad item")
	case "denied":
		return status.Error(codes.PermissionDenied, "no")
	case "unauthenticated":
		return status.Error(codes.Unauthenticated, "who are you")
	case "exhausted":
		return status.Error(codes.ResourceExhausted, "quota")
	case "gave-up":
		return status.Error(codes.Canceled, "the server gave up")
	case "slow":
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (h *health) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if err := h.behave(ctx, req.Service); err != nil {
		return nil, err
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

func (h *health) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	if err := stream.Send(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}); err != nil {
		return err
	}
	return h.behave(stream.Context(), req.Service)
}

// serve runs the test service with opts on a loopback port until t ends.
func serve(t testing.TB, rec *recorder, opts ...grpc.ServerOption) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(srv, &health{rec: rec})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

func dial(t testing.TB, addr string, opts ...grpc.DialOption) healthpb.HealthClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return healthpb.NewHealthClient(conn)
}

// call makes the service's call, unary or streaming, and returns its error.
func call(ctx context.Context, c healthpb.HealthClient, stream bool, service string) error {
	req := &healthpb.HealthCheckRequest{Service: service}
	if !stream {
		_, err := c.Check(ctx, req)
		return err
	}
	w, err := c.Watch(ctx, req)
	if err != nil {
		return err
	}
	for {
		if _, err := w.Recv(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// TestServer checks the server span's marks and what the caller gets,
// for unary calls and streams.
func TestServer(t *testing.T) {
	tests := []struct {
		service  string
		wantCode codes.Code
		want     func(child string) marks // the server span's
	}{
		{"ok", codes.OK, func(string) marks { return marks{} }},
		{"panic", codes.Internal, func(string) marks {
			return marks{origin: true, cause: vocab.CausePanic, errorType: "panic", status: otelcodes.Error}
		}},
		{"error", codes.Unknown, func(string) marks {
			return marks{origin: true, cause: vocab.CauseAppError, errorType: "UNKNOWN", status: otelcodes.Error}
		}},
		{"child", codes.Internal, func(child string) marks {
			return marks{propagated: true, cause: vocab.CausePeerUnreachable, originSpanID: child, errorType: "INTERNAL", status: otelcodes.Error}
		}},
		{"invalid", codes.InvalidArgument, func(string) marks { return marks{} }}, // the caller's fault
	}
	for _, stream := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.service
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				rec := newRecorder(t)
				addr := serve(t, rec, instrumentgrpc.ServerOptions(rec.options()...)...)
				err := call(t.Context(), dial(t, addr), stream, tt.service)
				if got := status.Code(err); got != tt.wantCode {
					t.Fatalf("code %v (%v), want %v", got, err, tt.wantCode)
				}
				if tt.service == "panic" {
					if msg := status.Convert(err).Message(); strings.Contains(msg, "secret") || strings.Contains(msg, "hunter2") || !strings.Contains(msg, "trace ") {
						t.Errorf("the caller got %q: want a generic message with the trace ID", msg)
					}
				}
				srv := rec.span(t, trace.SpanKindServer)
				var child string
				for _, s := range rec.Ended() {
					if s.SpanKind() == trace.SpanKindClient {
						child = s.SpanContext().SpanID().String()
					}
				}
				checkMarks(t, srv, tt.want(child))
				if tt.service == "panic" {
					checkPanicEvent(t, srv)
				}
			})
		}
	}
}

// checkPanicEvent checks that the server span has an exception event with
// the panic's stack.
func checkPanicEvent(t *testing.T, s sdktrace.ReadOnlySpan) {
	t.Helper()
	for _, e := range s.Events() {
		if e.Name != "exception" {
			continue
		}
		for _, kv := range e.Attributes {
			if kv.Key == "exception.stacktrace" && strings.Contains(kv.Value.AsString(), "behave") {
				return
			}
		}
	}
	t.Errorf("no exception event with the stack of the panic: %+v", s.Events())
}

// TestClient checks the client span's marks for each way a call fails.
func TestClient(t *testing.T) {
	plain := serve(t, newRecorder(t)) // a server without failhop: no trailer
	down := closedAddr(t)
	tests := []struct {
		name    string
		addr    string
		service string
		timeout time.Duration
		cancel  bool
		want    marks
	}{
		{name: "peer down", addr: down, service: "ok",
			want: marks{origin: true, cause: vocab.CausePeerUnreachable, errorType: "UNAVAILABLE", status: otelcodes.Error}},
		{name: "deadline", addr: plain, service: "slow", timeout: 100 * time.Millisecond,
			want: marks{origin: true, cause: vocab.CauseTimeout, errorType: "DEADLINE_EXCEEDED", status: otelcodes.Error}},
		{name: "canceled", addr: plain, service: "slow", cancel: true,
			want: marks{cause: vocab.CauseCanceled}},
		{name: "canceled by the server", addr: plain, service: "gave-up",
			want: marks{origin: true, cause: vocab.CauseUpstreamError, errorType: "CANCELLED", status: otelcodes.Error}},
		{name: "exhausted", addr: plain, service: "exhausted",
			want: marks{origin: true, cause: vocab.CauseResourceExhausted, errorType: "RESOURCE_EXHAUSTED", status: otelcodes.Error}},
		{name: "denied", addr: plain, service: "denied",
			want: marks{origin: true, cause: vocab.CauseUpstreamRejected, errorType: "PERMISSION_DENIED", status: otelcodes.Error}},
		{name: "unauthenticated", addr: plain, service: "unauthenticated",
			want: marks{origin: true, cause: vocab.CauseUpstreamRejected, errorType: "UNAUTHENTICATED", status: otelcodes.Error}},
		{name: "server error, no trailer", addr: plain, service: "error",
			want: marks{propagated: true, cause: vocab.CauseUpstreamError, errorType: "UNKNOWN", status: otelcodes.Error}},
	}
	for _, stream := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				rec := newRecorder(t)
				ctx := t.Context()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				if tt.cancel {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					time.AfterFunc(100*time.Millisecond, cancel)
				}
				if err := call(ctx, dial(t, tt.addr, instrumentgrpc.DialOptions(rec.options()...)...), stream, tt.service); err == nil {
					t.Fatal("the call succeeded")
				}
				checkMarks(t, rec.span(t, trace.SpanKindClient), tt.want)
			})
		}
	}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRemoteOrigin checks that the client span names the server's origin
// span and cause, from the trailer, and that a public edge sends none.
func TestRemoteOrigin(t *testing.T) {
	for _, edge := range []bool{false, true} {
		rec := newRecorder(t)
		var srvOpts []instrument.Option
		if edge {
			srvOpts = append(srvOpts, instrument.WithPublicEdge())
		}
		srvRec := newRecorder(t)
		addr := serve(t, srvRec, instrumentgrpc.ServerOptions(srvRec.options(srvOpts...)...)...)
		if err := call(t.Context(), dial(t, addr, instrumentgrpc.DialOptions(rec.options()...)...), false, "panic"); err == nil {
			t.Fatal("the call succeeded")
		}
		want := marks{propagated: true, cause: vocab.CausePanic, errorType: "INTERNAL", status: otelcodes.Error,
			originSpanID: srvRec.span(t, trace.SpanKindServer).SpanContext().SpanID().String()}
		if edge {
			want.cause, want.originSpanID = vocab.CauseUpstreamError, ""
		}
		checkMarks(t, rec.span(t, trace.SpanKindClient), want)
	}
}

// TestHTTPCallsGRPC checks that an HTTP handler calling a failing gRPC
// service is marked as having passed the failure on, with the origin the
// gRPC server reported.
func TestHTTPCallsGRPC(t *testing.T) {
	rec := newRecorder(t)
	srvRec := newRecorder(t)
	client := dial(t, serve(t, srvRec, instrumentgrpc.ServerOptions(srvRec.options()...)...), instrumentgrpc.DialOptions(rec.options()...)...)
	h := instrument.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := client.Check(r.Context(), &healthpb.HealthCheckRequest{Service: "error"}); err != nil {
			http.Error(w, "payments failed", http.StatusBadGateway)
		}
	}), "checkout", rec.options()...)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/checkout", nil))
	origin := srvRec.span(t, trace.SpanKindServer).SpanContext().SpanID().String()
	checkMarks(t, rec.span(t, trace.SpanKindServer), marks{propagated: true, cause: vocab.CauseAppError, originSpanID: origin, errorType: "502", status: otelcodes.Error})
}

// spanPrinter prints the span ID of each failed server span it sees end,
// for the test process to read.
type spanPrinter struct{}

func (spanPrinter) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (spanPrinter) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.SpanKind() == trace.SpanKindServer && s.Status().Code == otelcodes.Error {
		fmt.Println(s.SpanContext().SpanID())
	}
}
func (spanPrinter) Shutdown(context.Context) error   { return nil }
func (spanPrinter) ForceFlush(context.Context) error { return nil }

func newSpanPrinter() (*tracetest.SpanRecorder, *sdktrace.TracerProvider) {
	sr := tracetest.NewSpanRecorder()
	return sr, sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr), sdktrace.WithSpanProcessor(spanPrinter{}))
}
