package instrumentgrpc_test

import (
	"context"
	"net"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/test/bufconn"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentgrpc"
)

// BenchmarkUnary compares failhop's server and client options with bare
// otelgrpc's stats handlers and with no instrumentation (the floor), on
// the success path of a unary call, with the same SDK and sampler (always
// on, no exporter). The connection is in memory (bufconn), so that the
// figures are the instrumentation's, not the kernel's. Sub-benchmark names
// carry lib=..., for `benchstat -col /lib`; scripts/bench.sh runs them and
// docs/performance.md has the figures.
func BenchmarkUnary(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	prop := propagation.TraceContext{}
	oopts := []otelgrpc.Option{otelgrpc.WithTracerProvider(tp), otelgrpc.WithPropagators(prop)}
	fopts := []instrument.Option{instrument.WithTracerProvider(tp), instrument.WithPropagators(prop)}
	libs := []struct {
		name   string
		server []grpc.ServerOption
		client []grpc.DialOption
	}{
		{"bare", nil, nil},
		{"otelgrpc", []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(oopts...))},
			[]grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(oopts...))}},
		// What any server interceptor costs: gRPC's generated handler then
		// allocates a UnaryServerInfo and a handler closure per call.
		// failhop's server needs one, to recover panics on the handler's
		// stack.
		{"otelgrpc+interceptor", []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(oopts...)), grpc.UnaryInterceptor(noop)},
			[]grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(oopts...))}},
		{"failhop", instrumentgrpc.ServerOptions(fopts...), instrumentgrpc.DialOptions(fopts...)},
	}
	for _, lib := range libs {
		b.Run("lib="+lib.name, func(b *testing.B) {
			ln := bufconn.Listen(1 << 20)
			srv := grpc.NewServer(lib.server...)
			healthpb.RegisterHealthServer(srv, &health{})
			go func() { _ = srv.Serve(ln) }()
			defer srv.Stop()
			conn, err := grpc.NewClient("passthrough:///bench", append(lib.client,
				grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
				grpc.WithTransportCredentials(insecure.NewCredentials()))...)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			client := healthpb.NewHealthClient(conn)
			req := &healthpb.HealthCheckRequest{Service: "ok"}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.Check(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func noop(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(ctx, req)
}
