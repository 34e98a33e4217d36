package exporters

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// BenchmarkSpanExport measures what one span costs a service end to end
// with the pipeline Setup builds: made and ended (a server span with the
// 13 attributes otelhttp gives one), then queued, converted to OTLP and
// sent by the batch span processor. Every 512 spans (the processor's batch
// size) the benchmark flushes, so that the export's cost falls inside the
// timed loop and no span is dropped from a full queue.
//
//   - exporter=none: OTEL_TRACES_EXPORTER=none, the span is made but not
//     exported: the floor the export is added to;
//   - exporter=otlp-grpc, exporter=otlp-http: the span is also exported,
//     to an in-process receiver that reads the request and discards it
//     without decoding, so that the figure is the sender's; lib=sdk with
//     the SDK's OTLP exporters (WithSDKExporter), lib=failhop with
//     Setup's default, lib=failhop-plain the same without the early
//     export of failed requests (FAILHOP_EXPORT_ON_ERROR=false): the
//     span succeeds, so the two differ only by the check in OnEnd.
//
// (exporter=none has the lib= level too, though the two are the same
// there, so that benchstat -col /lib lays every row out alike.)
// docs/performance.md uses it to tell making spans from exporting them.
func BenchmarkSpanExport(b *testing.B) {
	grpcAddr := discardingGRPCReceiver(b)
	httpURL := discardingHTTPReceiver(b)
	for _, bc := range []struct {
		name string
		env  map[string]string
	}{
		{"exporter=none", map[string]string{"OTEL_TRACES_EXPORTER": "none"}},
		{"exporter=otlp-grpc", map[string]string{
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + grpcAddr}},
		{"exporter=otlp-http", map[string]string{
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": httpURL}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for _, lib := range []struct {
				name  string
				opts  []Option
				early string // FAILHOP_EXPORT_ON_ERROR
			}{
				{"lib=sdk", []Option{WithSDKExporter()}, ""},
				{"lib=failhop-plain", nil, "false"},
				{"lib=failhop", nil, ""},
			} {
				b.Run(lib.name, func(b *testing.B) {
					for k, v := range bc.env {
						b.Setenv(k, v)
					}
					b.Setenv(envExportOnError, lib.early)
					benchmarkSpanExport(b, append(lib.opts, WithServiceName("bench"))...)
				})
			}
		})
	}
}

func benchmarkSpanExport(b *testing.B, opts ...Option) {
	ctx := context.Background()
	shutdown, err := Setup(ctx, opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer shutdown(ctx)
	tp := otel.GetTracerProvider()
	flush := tp.(interface{ ForceFlush(context.Context) error }).ForceFlush
	tracer := tp.Tracer("bench")

	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		startServerSpan(ctx, tracer).End()
		if i%512 == 511 {
			if err := flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := flush(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFailedRequest measures what a failed request costs a service
// end to end with the pipeline Setup builds, when failures are rare: an op
// is one request of four spans (a server span with a remote parent, 500,
// status Error; an internal span; a failed client span; a database span)
// made, ended, exported over OTLP/gRPC to an in-process receiver that
// discards it, and received.
//
//   - lib=failhop: Setup's default, which exports a failed request at
//     once: each op waits for its own export (one request to the
//     receiver), as an isolated failure has (the 100 ms between two early
//     exports is taken out, so that the ops do not wait for it);
//   - lib=failhop-plain: FAILHOP_EXPORT_ON_ERROR=false, the batch span
//     processor alone: the spans of 128 requests go in one export (512,
//     the batch size), flushed by the benchmark, as a service whose failures
//     wait for the schedule delay among other traffic has them.
//
// The difference is the early export's cost per failed request. Its time
// includes the wait for the receiver's answer, not the CPU's: count
// instructions (scripts/instructions.sh ./exporters FailedRequest
// failhop-plain failhop) for the CPU.
func BenchmarkFailedRequest(b *testing.B) {
	got := make(chan struct{}, 1<<20)
	addr := countingGRPCReceiver(b, got)
	for _, lib := range []struct {
		name, early string
		perExport   int // requests per export
	}{
		{"lib=failhop-plain", "false", 128},
		{"lib=failhop", "", 1},
	} {
		b.Run(lib.name, func(b *testing.B) {
			b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+addr)
			b.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
			b.Setenv(envExportOnError, lib.early)
			ctx := context.Background()
			shutdown, err := Setup(ctx, WithServiceName("bench"), optionFunc(func(c *config) { c.earlyInterval = 0 }))
			if err != nil {
				b.Fatal(err)
			}
			defer shutdown(ctx)
			tp := otel.GetTracerProvider()
			flush := tp.(interface{ ForceFlush(context.Context) error }).ForceFlush
			tracer := tp.Tracer("bench")
			drain(got)

			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				failedRequest(tracer)
				if i%lib.perExport == lib.perExport-1 {
					if lib.perExport > 1 {
						if err := flush(ctx); err != nil {
							b.Fatal(err)
						}
					}
					<-got
				}
			}
			if err := flush(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkSpanEnd measures, alone, what exportOnError adds to the end of
// every span: OnEnd of a successful server span (as BenchmarkSpanExport
// makes it) handed to a span processor that does nothing, directly
// (lib=failhop-plain) or through exportOnError (lib=failhop), which
// checks whether the span is a failed local root.
func BenchmarkSpanEnd(b *testing.B) {
	span := endedServerSpans(b, 1)[0]
	for _, lib := range []struct {
		name string
		sp   func() sdktrace.SpanProcessor
	}{
		{"lib=failhop-plain", func() sdktrace.SpanProcessor { return nopProcessor{} }},
		{"lib=failhop", func() sdktrace.SpanProcessor { return newExportOnError(nopProcessor{}, minEarlyInterval) }},
	} {
		b.Run(lib.name, func(b *testing.B) {
			sp := lib.sp()
			defer sp.Shutdown(context.Background())
			b.ReportAllocs()
			for b.Loop() {
				sp.OnEnd(span)
			}
		})
	}
}

// nopProcessor is a span processor that does nothing.
type nopProcessor struct{}

func (nopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (nopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (nopProcessor) Shutdown(context.Context) error                  { return nil }
func (nopProcessor) ForceFlush(context.Context) error                { return nil }

// failedRequest makes the four spans of a request that failed in the
// service, as its caller's remote child.
func failedRequest(tracer trace.Tracer) {
	caller := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), caller)
	ctx, server := tracer.Start(ctx, "GET /items/{id}", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(serverSpanAttrs[:len(serverSpanAttrs)-1]...), trace.WithAttributes(attribute.Int("http.response.status_code", 500)))
	_, internal := tracer.Start(ctx, "load item")
	internal.End()
	_, client := tracer.Start(ctx, "GET", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", "GET"), attribute.String("url.full", "http://pricing:8080/prices/7")))
	client.SetStatus(codes.Error, "connection refused")
	client.End()
	_, db := tracer.Start(ctx, "SELECT stock", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "sqlite"), attribute.String("db.query.text", "SELECT qty FROM stock WHERE item = ?")))
	db.End()
	server.SetStatus(codes.Error, "")
	server.End()
}

// drain empties got.
func drain(got chan struct{}) {
	for {
		select {
		case <-got:
		default:
			return
		}
	}
}

// BenchmarkOTLPExporter measures the OTLP exporter alone, without the
// span's making or the batch span processor: ExportSpans of a batch of 512
// ended spans (the processor's batch size), each the server span of
// BenchmarkSpanExport, to the same discarding receivers. An op is one span:
// every 512th iteration exports the batch. lib=sdk is the SDK's
// otlptracegrpc/otlptracehttp, lib=failhop Setup's default (otlpExporter).
func BenchmarkOTLPExporter(b *testing.B) {
	ctx := context.Background()
	batch := endedServerSpans(b, 512)
	grpcAddr := discardingGRPCReceiver(b)
	httpURL := discardingHTTPReceiver(b)
	for _, bc := range []struct {
		name, protocol, endpoint string
	}{
		{"protocol=grpc", protocolGRPC, "http://" + grpcAddr},
		{"protocol=http", protocolHTTPProtobuf, httpURL},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for _, lib := range []struct {
				name string
				sdk  bool
			}{{"lib=sdk", true}, {"lib=failhop", false}} {
				b.Run(lib.name, func(b *testing.B) {
					b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", bc.endpoint)
					settings, err := readOTLPSettings(bc.protocol)
					if err != nil {
						b.Fatal(err)
					}
					exp, err := newExporter(ctx, exporterOTLP, bc.protocol, lib.sdk, settings, nil)
					if err != nil {
						b.Fatal(err)
					}
					defer exp.Shutdown(ctx)
					if err := exp.ExportSpans(ctx, batch); err != nil { // connected before timing
						b.Fatal(err)
					}
					b.ReportAllocs()
					for i := 0; b.Loop(); i++ {
						if i%len(batch) == len(batch)-1 {
							if err := exp.ExportSpans(ctx, batch); err != nil {
								b.Fatal(err)
							}
						}
					}
				})
			}
		})
	}
}

// endedServerSpans makes n ended server spans with serverSpanAttrs, as the
// batch span processor hands them to its exporter.
func endedServerSpans(b *testing.B, n int) []sdktrace.ReadOnlySpan {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tracer := tp.Tracer("bench")
	for range n {
		startServerSpan(context.Background(), tracer).End()
	}
	return rec.Ended()
}

// startServerSpan starts the span both benchmarks export: the server span
// of a healthy request, with serverSpanAttrs.
func startServerSpan(ctx context.Context, tracer trace.Tracer) trace.Span {
	_, span := tracer.Start(ctx, "GET /items/{id}", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(serverSpanAttrs...))
	return span
}

// serverSpanAttrs are the attributes otelhttp and failhop's Handler give
// the server span of a healthy request.
var serverSpanAttrs = []attribute.KeyValue{
	attribute.String("http.request.method", "GET"),
	attribute.String("url.scheme", "http"),
	attribute.String("url.path", "/items/1"),
	attribute.String("http.route", "/items/{id}"),
	attribute.String("server.address", "127.0.0.1"),
	attribute.Int("server.port", 8082),
	attribute.String("network.peer.address", "127.0.0.1"),
	attribute.Int("network.peer.port", 41420),
	attribute.String("client.address", "127.0.0.1"),
	attribute.String("user_agent.original", "Go-http-client/1.1"),
	attribute.String("network.protocol.version", "1.1"),
	attribute.Int("http.response.body.size", 27),
	attribute.Int("http.response.status_code", 200),
}

// discardingGRPCReceiver serves every gRPC method, OTLP's Export among
// them, by reading the request's bytes and answering with an empty
// message (an empty ExportTraceServiceResponse: success).
func discardingGRPCReceiver(b *testing.B) string { return countingGRPCReceiver(b, nil) }

// countingGRPCReceiver is discardingGRPCReceiver that sends on got, if not
// nil, for every request it answered.
func countingGRPCReceiver(b *testing.B, got chan<- struct{}) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			var req []byte
			if err := stream.RecvMsg(&req); err != nil {
				return err
			}
			err := stream.SendMsg(&[]byte{})
			if got != nil {
				got <- struct{}{}
			}
			return err
		}))
	go srv.Serve(l)
	b.Cleanup(srv.Stop)
	return l.Addr().String()
}

// rawCodec passes gRPC messages through as bytes, undecoded.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error)      { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error { *v.(*[]byte) = data; return nil }
func (rawCodec) Name() string                       { return "proto" }

// discardingHTTPReceiver answers every OTLP/HTTP export with an empty
// protobuf body (success) after reading the request.
func discardingHTTPReceiver(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}
