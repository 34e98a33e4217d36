package instrumentgrpc

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/internal/request"
	"github.com/failhop/failhop/vocab"
)

// ErrorTrailer is the trailer metadata key by which a failed server tells
// its caller why and where the failure started: the value of
// instrument.ErrorHeader, such as "db_error; origin=00f067aa0ba902b7".
// The client reads it only if it is well formed, with a known cause.
const ErrorTrailer = "failhop-error"

// ServerOptions returns the options of a grpc.NewServer that traces its
// calls (otelgrpc's stats handler) and marks the failed ones (unary and
// stream interceptors, chained before any the caller adds). Options of
// package instrument set the providers, the propagator and the public
// edge; the others are ignored.
func ServerOptions(opts ...instrument.Option) []grpc.ServerOption {
	c := request.NewConfig(opts)
	s := &server{publicEdge: c.PublicEdge}
	return []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpcOptions(c)...)),
		grpc.ChainUnaryInterceptor(s.unary),
		grpc.ChainStreamInterceptor(s.stream),
	}
}

// otelgrpcOptions translates the options otelgrpc understands.
func otelgrpcOptions(c *request.Config) []otelgrpc.Option {
	return []otelgrpc.Option{
		otelgrpc.WithTracerProvider(c.TracerProvider),
		otelgrpc.WithMeterProvider(c.MeterProvider),
		otelgrpc.WithPropagators(c.Propagators),
	}
}

type server struct {
	publicEdge bool
}

func (s *server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	ctx, rec := request.WithRecord(ctx)
	defer func() {
		if v := recover(); v != nil {
			err = recovered(ctx, rec, info.FullMethod, v)
		}
		if md := s.finish(ctx, rec, err); md != nil {
			_ = grpc.SetTrailer(ctx, md)
		}
	}()
	return handler(ctx, req)
}

func (s *server) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	ctx, rec := request.WithRecord(ss.Context())
	defer func() {
		if v := recover(); v != nil {
			err = recovered(ctx, rec, info.FullMethod, v)
		}
		if md := s.finish(ctx, rec, err); md != nil {
			ss.SetTrailer(md)
		}
	}()
	return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
}

// serverStream gives the handler the context with the request record.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }

// recovered records a panic of a handler and returns what the caller
// gets: INTERNAL, with the trace ID and nothing of the panic.
func recovered(ctx context.Context, rec *request.Record, method string, v any) error {
	stack := debug.Stack()
	span := trace.SpanFromContext(ctx)
	err := rec.RecordPanic(span, v)
	slog.ErrorContext(ctx, "failhop: recovered panic", "method", method, "panic", err.Error(), "stack", string(stack))
	msg := "internal error"
	if sc := span.SpanContext(); sc.HasTraceID() {
		msg = fmt.Sprintf("internal error (trace %s)", sc.TraceID())
	}
	return status.Error(codes.Internal, msg)
}

// finish marks the server span of a call that failed by the server's
// fault, and returns the trailer that tells the caller; nil otherwise.
func (s *server) finish(ctx context.Context, rec *request.Record, err error) metadata.MD {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		st = status.FromContextError(err) // as the gRPC server answers it
	}
	code := st.Code()
	if !vocab.GRPCServerFault(int(code)) {
		return nil
	}
	rec.MarkServer(trace.SpanFromContext(ctx), canonical(code))
	if s.publicEdge {
		return nil
	}
	return metadata.Pairs(ErrorTrailer, rec.Report())
}

// canonical is a code's name as the semantic conventions write it in
// rpc.response.status_code and error.type: "DEADLINE_EXCEEDED".
func canonical(c codes.Code) string { return vocab.GRPCCodeName(int(c)) }
