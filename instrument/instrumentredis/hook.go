package instrumentredis

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument"
)

// scope is the instrumentation scope of the spans.
const scope = "github.com/failhop/failhop/instrument/instrumentredis"

// library are the packages between a service's call and the hook: a
// failure's call site is the first frame outside them.
var library = []string{"github.com/redis/go-redis/"}

// Instrument adds a hook to rdb (a *redis.Client, *redis.ClusterClient or
// *redis.Ring) that traces its commands, pipelines and dials. Options of
// package instrument: instrument.WithTracerProvider (the default is the
// global provider) and instrument.WithDBSystem (db.system.name, "redis" by
// default, "valkey" for one); the others are ignored. Call it once, before
// the client is used.
func Instrument(rdb redis.UniversalClient, opts ...instrument.Option) error {
	attrs, err := serverAttrs(rdb)
	if err != nil {
		return err
	}
	rdb.AddHook(&hook{spans: instrument.NewDBSpans(scope, "redis", library, opts...), attrs: attrs})
	return nil
}

// serverAttrs returns the attributes of rdb's configuration: server.address
// and server.port when it has one address, db.namespace for a Client.
func serverAttrs(rdb redis.UniversalClient) ([]attribute.KeyValue, error) {
	switch c := rdb.(type) {
	case nil:
		return nil, errors.New("instrumentredis: nil client")
	case *redis.Client:
		if c == nil {
			return nil, errors.New("instrumentredis: nil *redis.Client")
		}
		o := c.Options()
		return append(addrAttrs(o.Network, o.Addr), semconv.DBNamespace(strconv.Itoa(o.DB))), nil
	case *redis.ClusterClient:
		if c == nil {
			return nil, errors.New("instrumentredis: nil *redis.ClusterClient")
		}
		if o := c.Options(); len(o.Addrs) == 1 {
			return addrAttrs("tcp", o.Addrs[0]), nil
		}
	}
	return nil, nil
}

// addrAttrs returns server.address and server.port of an address.
func addrAttrs(network, addr string) []attribute.KeyValue {
	if network == "unix" {
		return []attribute.KeyValue{semconv.ServerAddress(addr)}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil // a failover client's placeholder: the master is found at run time
	}
	attrs := []attribute.KeyValue{semconv.ServerAddress(host)}
	if p, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, semconv.ServerPort(p))
	}
	return attrs
}

// hook is the redis.Hook that Instrument adds.
type hook struct {
	spans *instrument.DBSpans
	attrs []attribute.KeyValue // of the client's configuration
}

var _ redis.Hook = (*hook)(nil)

// DialHook traces a dial made within a traced context as a "connect" span.
// go-redis dials its pool's connections apart from any call: such a dial
// would be a trace of its own, so it is not traced; its failure reaches
// the command that needed the connection.
func (h *hook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if !trace.SpanContextFromContext(ctx).IsValid() {
			return next(ctx, network, addr)
		}
		attrs := append([]attribute.KeyValue{semconv.DBOperationName("connect")}, addrAttrs(network, addr)...)
		ctx, span := h.spans.Start(ctx, "connect", attrs...)
		conn, err := next(ctx, network, addr)
		h.spans.EndConnect(ctx, span, err)
		return conn, err
	}
}

// ProcessHook traces a command.
func (h *hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		op := commandName(cmd)
		attrs := make([]attribute.KeyValue, 0, 3+len(h.attrs))
		attrs = append(attrs, semconv.DBOperationName(op), semconv.DBQueryText(shape(op, cmd)))
		if name := storedProcedure(op, cmd); name != "" {
			attrs = append(attrs, semconv.DBStoredProcedureName(name))
		}
		ctx, span := h.spans.Start(ctx, op, append(attrs, h.attrs...)...)
		err := next(ctx, cmd)
		h.end(ctx, span, cmd, firstErr(err, cmd))
		return err
	}
}

// ProcessPipelineHook traces a pipeline or a transaction as one span.
func (h *hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		p := describe(cmds)
		attrs := make([]attribute.KeyValue, 0, 4+len(h.attrs))
		attrs = append(attrs, semconv.DBOperationName(p.operation), semconv.DBQuerySummary(p.summary), semconv.DBQueryText(p.text))
		if p.size != 1 {
			attrs = append(attrs, semconv.DBOperationBatchSize(p.size))
		}
		ctx, span := h.spans.Start(ctx, p.summary, append(attrs, h.attrs...)...)
		err := next(ctx, cmds)
		failed, ferr := failedCommand(err, cmds)
		h.end(ctx, span, failed, ferr)
		return err
	}
}

// end ends span, recording err, the error of cmd (nil if unknown), if it
// is a failure.
func (h *hook) end(ctx context.Context, span trace.Span, cmd redis.Cmder, err error) {
	if tolerated(cmd, err) {
		span.End()
		return
	}
	if f, ok := classify(ctx, err, isScript(cmd)); ok {
		h.spans.Fail(ctx, span, err, f)
	}
	span.End()
}

// firstErr is the error of a command: what its processing returned, else
// the command's own.
func firstErr(err error, cmd redis.Cmder) error {
	if err != nil {
		return err
	}
	return cmd.Err()
}

// failedCommand returns the first command of a pipeline that failed, and
// its error; else err, the pipeline's, with no command, unless it is the
// error reply of a command that is no failure.
func failedCommand(err error, cmds []redis.Cmder) (redis.Cmder, error) {
	for _, cmd := range cmds {
		if e := cmd.Err(); e != nil && !errors.Is(e, redis.Nil) && !tolerated(cmd, e) {
			return cmd, e
		}
	}
	var reply redis.Error
	if errors.As(err, &reply) { // a command's: redis.Nil, or tolerated
		return nil, nil
	}
	return nil, err
}

// tolerated reports whether err is an error reply that go-redis expects
// and ignores in the handshake of a new connection: HELLO and CLIENT
// SETINFO and MAINT_NOTIFICATIONS, which older servers do not know.
func tolerated(cmd redis.Cmder, err error) bool {
	var reply redis.Error
	if cmd == nil || err == nil || !errors.As(err, &reply) {
		return false
	}
	switch cmd.Name() {
	case "hello":
		return true
	case "client":
		if args := cmd.Args(); len(args) > 1 {
			sub, _ := args[1].(string)
			return strings.EqualFold(sub, "setinfo") || strings.EqualFold(sub, "maint_notifications")
		}
	}
	return false
}
