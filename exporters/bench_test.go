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
//     Setup's default.
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
				name string
				opts []Option
			}{
				{"lib=sdk", []Option{WithSDKExporter()}},
				{"lib=failhop", nil},
			} {
				b.Run(lib.name, func(b *testing.B) {
					for k, v := range bc.env {
						b.Setenv(k, v)
					}
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
func discardingGRPCReceiver(b *testing.B) string {
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
			return stream.SendMsg(&[]byte{})
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
