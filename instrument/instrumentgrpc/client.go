package instrumentgrpc

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/internal/request"
	"github.com/failhop/failhop/vocab"
)

// DialOptions returns the options of a grpc.NewClient whose calls are
// traced (otelgrpc's stats handler) and marked when they fail. Options of
// package instrument set the providers, the propagator and the peer's
// name (instrument.WithPeerService, service.peer.name); the others are
// ignored.
func DialOptions(opts ...instrument.Option) []grpc.DialOption {
	c := request.NewConfig(opts)
	oopts := otelgrpcOptions(c)
	if c.PeerService != "" {
		oopts = append(oopts, otelgrpc.WithSpanAttributes(semconv.ServicePeerName(c.PeerService)))
	}
	return []grpc.DialOption{grpc.WithStatsHandler(&clientHandler{Handler: otelgrpc.NewClientHandler(oopts...)})}
}

// clientHandler is otelgrpc's client stats handler, which makes the
// client spans, with the marks written at the end of a failed call, before
// otelgrpc ends its span.
type clientHandler struct {
	stats.Handler
}

// call is a client call's context with what came back of it. gRPC
// reports the answer on the connection's reader goroutine and the end of
// the call on the caller's, hence the lock.
type call struct {
	context.Context
	mu       sync.Mutex
	answered bool   // the server sent headers or trailers
	report   string // its ErrorTrailer
}

type callKey struct{}

func (c *call) Value(key any) any {
	if key == (callKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func (h *clientHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return &call{Context: h.Handler.TagRPC(ctx, info)}
}

func (h *clientHandler) HandleRPC(ctx context.Context, rs stats.RPCStats) {
	if c, ok := ctx.Value(callKey{}).(*call); ok {
		switch rs := rs.(type) {
		case *stats.InHeader:
			c.mu.Lock()
			c.answered = true
			c.mu.Unlock()
		case *stats.InTrailer:
			c.mu.Lock()
			c.answered = true
			if v := rs.Trailer.Get(ErrorTrailer); len(v) > 0 {
				c.report = v[0]
			}
			c.mu.Unlock()
		case *stats.End:
			if rs.Error != nil {
				c.mark(rs)
			}
		}
	}
	h.Handler.HandleRPC(ctx, rs)
}

// mark writes the marks of a call that ended in error on its span.
func (c *call) mark(end *stats.End) {
	span := trace.SpanFromContext(c)
	if !span.IsRecording() {
		return
	}
	code := status.Code(end.Error)
	cause := vocab.GRPCClientCause(int(code))
	self := span.SpanContext().SpanID()
	c.mu.Lock()
	answered, report := c.answered, c.report
	c.mu.Unlock()
	rc, origin, rerr := request.ParseErrorHeader(report)
	// Our deadline: the server's is ours too (grpc-timeout), and may pass
	// a moment before ours, with the server's answer.
	ownDeadline := code == grpccodes.DeadlineExceeded && hasDeadline(c)
	if cause == vocab.CauseCanceled && !errors.Is(c.Err(), context.Canceled) {
		// The server answered CANCELLED of its own accord (it gave up):
		// not the caller's doing, and a failure the server did not mark.
		cause = vocab.CauseUpstreamError
	}
	switch {
	case cause == vocab.CauseCanceled:
		// Not an error: end the span here, or otelgrpc would make it one
		// (it leaves an ended span alone).
		span.SetAttributes(attribute.String(vocab.KeyCause, string(cause)), semconv.RPCResponseStatusCode(canonical(code)))
		span.End(trace.WithTimestamp(end.EndTime))
		request.RecordFrom(c).Add(request.Failure{SpanID: self, Cause: cause, Err: end.Error})
		return
	case code == grpccodes.Unavailable && !answered:
		// No answer: the connection failed.
	case answered && vocab.GRPCServerFault(int(code)) && (rerr == nil || !ownDeadline):
		// The server failed and said so: this call passed it on, with
		// the server's origin when it reported one (a deadline that
		// passed while the server waited on a slow span names that span).
		f := request.Failure{SpanID: self, Cause: vocab.CauseUpstreamError}
		if rerr == nil {
			f.Cause, f.OriginSpanID = rc, origin
		}
		span.SetAttributes(semconv.ErrorTypeKey.String(canonical(code)))
		request.MarkPropagated(span, f)
		request.RecordFrom(c).Add(f)
		return
	}
	span.SetStatus(codes.Error, end.Error.Error())
	span.SetAttributes(semconv.ErrorTypeKey.String(canonical(code)))
	request.FailCall(c, span, cause, end.Error)
}

func hasDeadline(ctx context.Context) bool {
	_, ok := ctx.Deadline()
	return ok
}
