package exporters

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/google/go-cmp/cmp"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/stats"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/testing/protocmp"
)

// everyField makes spans that use every field an SDK span can carry:
// attributes of each type (nested slices and maps too), events, links to a
// remote and a local span, trace state, status, dropped counts (the limits
// are low), two scopes with versions, schema URLs and attributes, and a
// resource with a schema URL.
func everyField(t *testing.T) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.43.0",
		attribute.String("service.name", "every-field"), attribute.Int("process.pid", 42))
	limits := sdktrace.NewSpanLimits()
	limits.AttributeCountLimit, limits.EventCountLimit, limits.LinkCountLimit = 14, 2, 2
	limits.AttributePerEventCountLimit, limits.AttributePerLinkCountLimit = 1, 1
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(res), sdktrace.WithRawSpanLimits(limits))
	defer tp.Shutdown(context.Background())

	attrs := []attribute.KeyValue{
		attribute.String("s", "text with ünïcode"), attribute.String("empty", ""),
		attribute.Int64("i", -7), attribute.Float64("f", 2.5), attribute.Bool("b", true),
		attribute.StringSlice("ss", []string{"a", ""}), attribute.Int64Slice("is", []int64{1, 2}),
		attribute.Float64Slice("fs", []float64{0.5}), attribute.BoolSlice("bs", []bool{false, true}),
		attribute.ByteSlice("bytes", []byte{0, 1, 255}),
		attribute.Slice("mixed", attribute.IntValue(1), attribute.StringValue("two"), attribute.SliceValue(attribute.BoolValue(true))),
		attribute.Map("map", attribute.String("k", "v"), attribute.Map("inner", attribute.Int("n", 3))),
		{Key: "nothing"}, // EMPTY
		attribute.String("dropped-1", "x"), attribute.String("dropped-2", "y"),
	}
	ts, err := trace.ParseTraceState("vendor=value,other=1")
	if err != nil {
		t.Fatal(err)
	}
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled,
		TraceState: ts, Remote: true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
	start := time.Date(2026, 12, 4, 5, 0, 0, 123456789, time.UTC)

	tracer := tp.Tracer("scope.one", trace.WithInstrumentationVersion("1.2.3"),
		trace.WithSchemaURL("https://opentelemetry.io/schemas/1.40.0"),
		trace.WithInstrumentationAttributes(attribute.String("scope.attr", "yes")))
	ctx, parent := tracer.Start(ctx, "parent", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start),
		trace.WithAttributes(attrs...),
		trace.WithLinks(trace.Link{SpanContext: remote, Attributes: []attribute.KeyValue{attribute.String("why", "retry"), attribute.String("dropped", "z")}}))
	parent.AddEvent("exception", trace.WithTimestamp(start.Add(time.Millisecond)),
		trace.WithAttributes(attribute.String("exception.message", "boom"), attribute.String("dropped", "z")))
	parent.AddEvent("second", trace.WithTimestamp(start.Add(2*time.Millisecond)))
	parent.AddEvent("dropped event", trace.WithTimestamp(start.Add(3*time.Millisecond)))
	parent.SetStatus(codes.Error, "it broke")

	other := tp.Tracer("scope.two")
	_, child := other.Start(ctx, "child", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start.Add(time.Millisecond)),
		trace.WithLinks(trace.Link{SpanContext: parent.SpanContext()}))
	child.SetStatus(codes.Ok, "")
	child.End(trace.WithTimestamp(start.Add(5 * time.Millisecond)))
	for _, kind := range []trace.SpanKind{trace.SpanKindInternal, trace.SpanKindProducer, trace.SpanKindConsumer, trace.SpanKindUnspecified} {
		_, s := tracer.Start(ctx, "kind "+kind.String(), trace.WithSpanKind(kind), trace.WithTimestamp(start))
		s.End(trace.WithTimestamp(start.Add(time.Microsecond)))
	}
	parent.End(trace.WithTimestamp(start.Add(10 * time.Millisecond)))
	return rec.Ended()
}

// TestOTLPExporterSendsWhatTheSDKSends sends the same spans with the SDK's
// OTLP exporter and with failhop's, over each protocol, to a real OTLP
// receiver that decodes them with the OTLP protobuf types, and compares
// the two requests: they must carry the same data, field for field.
func TestOTLPExporterSendsWhatTheSDKSends(t *testing.T) {
	spans := everyField(t)
	for _, protocol := range []string{protocolGRPC, protocolHTTPProtobuf} {
		t.Run(protocol, func(t *testing.T) {
			var got [2][]*tracepb.ResourceSpans
			for i, sdk := range []bool{true, false} {
				r := &receiver{}
				endpoint := startGRPCReceiver(t, r)
				if protocol == protocolHTTPProtobuf {
					endpoint = startHTTPReceiver(t, r)
				}
				clearOTLPEnv(t)
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
				s, err := readOTLPSettings(protocol)
				if err != nil {
					t.Fatal(err)
				}
				e, err := newExporter(context.Background(), exporterOTLP, protocol, sdk, s, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.ExportSpans(context.Background(), spans); err != nil {
					t.Fatalf("sdk=%v: %v", sdk, err)
				}
				if err := e.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
				got[i] = r.resourceSpans()
			}
			if len(got[1]) != 1 || len(got[1][0].ScopeSpans) != 2 {
				t.Fatalf("want 1 resource with 2 scopes, got %s", prototext.Format(&tracepb.TracesData{ResourceSpans: got[1]}))
			}
			// The one difference: the SDK's exporter leaves out a link's
			// trace state (otlptrace v1.47.0); failhop's sends it.
			links := 0
			for _, ss := range got[1][0].ScopeSpans {
				for _, sp := range ss.Spans {
					for _, l := range sp.Links {
						if l.TraceState != "vendor=value,other=1" {
							t.Errorf("span %q: link trace state %q, want the linked context's", sp.Name, l.TraceState)
						}
						l.TraceState = ""
						links++
					}
				}
			}
			if links != 2 {
				t.Errorf("%d links sent, want 2", links)
			}
			sdk, ours := &tracepb.TracesData{ResourceSpans: got[0]}, &tracepb.TracesData{ResourceSpans: got[1]}
			if diff := cmp.Diff(sdk, ours, protocmp.Transform()); diff != "" {
				t.Errorf("failhop's exporter sent other data than the SDK's (-SDK +failhop):\n%s", diff)
			}
		})
	}
}

// clearOTLPEnv unsets every OTEL_EXPORTER_OTLP_* variable for the test.
func clearOTLPEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{"ENDPOINT", "INSECURE", "HEADERS", "COMPRESSION", "TIMEOUT", "CERTIFICATE", "CLIENT_CERTIFICATE", "CLIENT_KEY", "PROTOCOL"} {
		t.Setenv(envOTLPPrefix+name, "")
		t.Setenv(envOTLPTracesPrefix+name, "")
	}
}

// TestOTLPSettings reads the OTEL_EXPORTER_OTLP_* variables as the SDK's
// exporters read them, and refuses malformed values with the variable's
// name.
func TestOTLPSettings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		protocol string
		env      map[string]string
		target   string // gRPC
		url      string // HTTP
		insecure bool
		headers  http.Header
		gzip     bool
		timeout  time.Duration
		err      string
	}{
		{name: "grpc defaults", protocol: protocolGRPC, target: "localhost:4317", timeout: 10 * time.Second},
		{name: "http defaults", protocol: protocolHTTPProtobuf, url: "https://localhost:4318/v1/traces", timeout: 10 * time.Second},
		{name: "grpc http URL is insecure", protocol: protocolGRPC,
			env:    map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"},
			target: "collector:4317", insecure: true, timeout: 10 * time.Second},
		{name: "grpc host:port, INSECURE", protocol: protocolGRPC,
			env:    map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317", "OTEL_EXPORTER_OTLP_INSECURE": "true"},
			target: "collector:4317", insecure: true, timeout: 10 * time.Second},
		{name: "grpc traces endpoint wins", protocol: protocolGRPC,
			env:    map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://b:2"},
			target: "b:2", timeout: 10 * time.Second},
		{name: "http base URL gets /v1/traces", protocol: protocolHTTPProtobuf,
			env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/otlp"},
			url: "http://collector:4318/otlp/v1/traces", insecure: true, timeout: 10 * time.Second},
		{name: "http traces URL as it is", protocol: protocolHTTPProtobuf,
			env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector:4318/custom"},
			url: "https://collector:4318/custom", timeout: 10 * time.Second},
		{name: "http traces URL without path", protocol: protocolHTTPProtobuf,
			env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector:4318"},
			url: "https://collector:4318/", timeout: 10 * time.Second},
		{name: "TRACES_INSECURE=false makes http https", protocol: protocolHTTPProtobuf,
			env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "false"},
			url: "https://c:4318/v1/traces", timeout: 10 * time.Second},
		{name: "headers, decoded; the traces' replace the others", protocol: protocolGRPC,
			env: map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "ignored=1",
				"OTEL_EXPORTER_OTLP_TRACES_HEADERS": "Api-Key = se%20cret%2C1 , x-team=shop"},
			target: "localhost:4317", headers: http.Header{"Api-Key": {"se cret,1"}, "X-Team": {"shop"}}, timeout: 10 * time.Second},
		{name: "gzip and timeout", protocol: protocolGRPC,
			env:    map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "2500"},
			target: "localhost:4317", gzip: true, timeout: 2500 * time.Millisecond},
		{name: "bad compression", protocol: protocolGRPC, env: map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"},
			err: `OTEL_EXPORTER_OTLP_COMPRESSION="zstd" is not supported`},
		{name: "bad timeout", protocol: protocolGRPC, env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "10s"},
			err: `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT="10s": want a positive number of milliseconds`},
		{name: "bad insecure", protocol: protocolGRPC, env: map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "yes"},
			err: `OTEL_EXPORTER_OTLP_INSECURE="yes": want true or false`},
		{name: "bad header", protocol: protocolHTTPProtobuf, env: map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "no-equals-sign"},
			err: `OTEL_EXPORTER_OTLP_HEADERS: "no-equals-sign" is not name=value`},
		{name: "http endpoint without scheme", protocol: protocolHTTPProtobuf, env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
			err: `OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318": OTLP/HTTP needs an http:// or https:// URL`},
		{name: "missing CA file", protocol: protocolGRPC, env: map[string]string{"OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem"},
			err: `OTEL_EXPORTER_OTLP_CERTIFICATE: open /nonexistent/ca.pem`},
		{name: "client certificate without key", protocol: protocolGRPC, env: map[string]string{"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": "/some/cert.pem"},
			err: `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is set but no OTEL_EXPORTER_OTLP_CLIENT_KEY`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearOTLPEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			s, err := readOTLPSettings(tc.protocol)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.protocol == protocolGRPC && s.target != tc.target {
				t.Errorf("target %q, want %q", s.target, tc.target)
			}
			if tc.protocol == protocolHTTPProtobuf && s.url != tc.url {
				t.Errorf("url %q, want %q", s.url, tc.url)
			}
			if s.insecure != tc.insecure || s.gzip != tc.gzip || s.timeout != tc.timeout {
				t.Errorf("insecure %v gzip %v timeout %v, want %v %v %v", s.insecure, s.gzip, s.timeout, tc.insecure, tc.gzip, tc.timeout)
			}
			want := tc.headers
			if want == nil {
				want = http.Header{}
			}
			if !reflect.DeepEqual(s.headers, want) {
				t.Errorf("headers %v, want %v", s.headers, want)
			}
		})
	}
}

// TestOTLPExporterTLSHeadersGzip exports, over each protocol, to a real
// receiver on TLS whose certificate is trusted through
// OTEL_EXPORTER_OTLP_CERTIFICATE, with headers and gzip compression, and
// checks what the receiver got: the spans, the headers, gzip.
func TestOTLPExporterTLSHeadersGzip(t *testing.T) {
	spans := everyField(t)
	for _, protocol := range []string{protocolGRPC, protocolHTTPProtobuf} {
		t.Run(protocol, func(t *testing.T) {
			r := &receiver{}
			var compression compressionSeen
			var endpoint string
			var cert tls.Certificate
			if protocol == protocolHTTPProtobuf {
				endpoint, cert = startHTTPSReceiver(t, r)
			} else {
				cert = testCertificate(t)
				endpoint = strings.Replace(startGRPCReceiver(t, r, grpc.Creds(credentials.NewServerTLSFromCert(&cert)), grpc.StatsHandler(&compression)),
					"http://", "https://", 1)
			}
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
				t.Fatal(err)
			}
			clearOTLPEnv(t)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", ca)
			t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20t0ken")
			t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
			s, err := readOTLPSettings(protocol)
			if err != nil {
				t.Fatal(err)
			}
			e, err := newOTLPExporter(protocol, s)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Shutdown(context.Background())
			if err := e.ExportSpans(context.Background(), spans); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, rs := range r.resourceSpans() {
				for _, ss := range rs.ScopeSpans {
					n += len(ss.Spans)
				}
			}
			if n != len(spans) {
				t.Errorf("received %d spans, want %d", n, len(spans))
			}
			hs := r.requestHeaders()
			if len(hs) != 1 {
				t.Fatalf("%d requests, want 1", len(hs))
			}
			if got := hs[0].Get("authorization"); !slices.Equal(got, []string{"Bearer t0ken"}) {
				t.Errorf("authorization %q, want the header's", got)
			}
			got, _ := compression.name.Load().(string)
			if protocol == protocolHTTPProtobuf {
				got = strings.Join(hs[0].Get("content-encoding"), ",")
			}
			if got != "gzip" {
				t.Errorf("compressed with %q, want gzip", got)
			}
		})
	}
}

// testCertificate is a self-signed certificate for 127.0.0.1, the one
// httptest's TLS servers use.
func testCertificate(t *testing.T) tls.Certificate {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	defer srv.Close()
	return srv.TLS.Certificates[0]
}

// compressionSeen is a gRPC server stats handler that keeps the
// compression of the last request received.
type compressionSeen struct{ name atomic.Value }

func (c *compressionSeen) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}
func (c *compressionSeen) HandleRPC(_ context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.InHeader); ok {
		c.name.Store(h.Compression)
	}
}
func (c *compressionSeen) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (c *compressionSeen) HandleConn(context.Context, stats.ConnStats) {}
