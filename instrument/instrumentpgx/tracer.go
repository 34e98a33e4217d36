package instrumentpgx

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/vocab"
)

// scope is the instrumentation scope of the spans.
const scope = "github.com/failhop/failhop/instrument/instrumentpgx"

// library are the packages between a service's call and the tracer: a
// failure's call site is the first frame outside them.
var library = []string{"github.com/jackc/pgx/", "github.com/jackc/puddle/"}

// Tracer traces pgx connections: set it as the Tracer of a
// pgx.ConnConfig, or of a pgxpool.Config's ConnConfig. It implements
// pgx.QueryTracer, pgx.BatchTracer, pgx.ConnectTracer and
// pgx.PrepareTracer. It is safe for concurrent use.
type Tracer struct {
	spans *instrument.DBSpans
}

var (
	_ pgx.QueryTracer   = (*Tracer)(nil)
	_ pgx.BatchTracer   = (*Tracer)(nil)
	_ pgx.ConnectTracer = (*Tracer)(nil)
	_ pgx.PrepareTracer = (*Tracer)(nil)
)

// NewTracer returns a Tracer. Options of package instrument:
// instrument.WithTracerProvider (the default is the global provider) and
// instrument.WithDBSystem (db.system.name, "postgresql" by default); the
// others are ignored.
func NewTracer(opts ...instrument.Option) *Tracer {
	return &Tracer{spans: instrument.NewDBSpans(scope, "postgresql", library, opts...)}
}

// call is the context of a traced operation from its Trace...Start to
// its Trace...End: pgx passes the context the start returned to the end.
type call struct {
	context.Context
	kind  callKind
	span  trace.Span
	sql   string // the statement of a query or prepare
	name  string // the statement name given to Prepare
	conn  *connInfo
	batch *batchState
}

type callKind uint8

const (
	callQuery callKind = iota + 1
	callBatch
	callPrepare
	callConnect
)

type callKey struct{}

func (c *call) Value(key any) any {
	if key == (callKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// callIn returns the call of ctx of the given kind, or nil.
func callIn(ctx context.Context, kind callKind) *call {
	c, ok := ctx.(*call)
	if !ok {
		c, _ = ctx.Value(callKey{}).(*call)
	}
	if c == nil || c.kind != kind {
		return nil
	}
	return c
}

// TraceQueryStart starts the span of a Query, QueryRow or Exec.
func (t *Tracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	info := infoOf(conn)
	sql := info.statement(data.SQL)
	ctx, span := t.spans.StartSQL(ctx, sql, hasArgs(data.Args), time.Time{}, info.attrs...)
	return &call{Context: ctx, kind: callQuery, span: span, sql: sql}
}

// TraceQueryEnd ends the span of a query, with its error if it failed.
func (t *Tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if c := callIn(ctx, callQuery); c != nil {
		t.spans.EndSQL(ctx, c.span, c.sql, data.Err)
	}
}

// hasArgs reports whether a statement has arguments: anything but the
// options pgx reads from the front of the arguments.
func hasArgs(args []any) bool {
	for _, a := range args {
		switch a.(type) {
		case pgx.QueryExecMode, pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
			continue
		}
		return true
	}
	return false
}

// TracePrepareStart starts the span of an explicit Prepare. pgx also
// prepares the statements it runs, the first time a connection runs
// them: that is part of the query or batch, whose span covers it.
func (t *Tracer) TracePrepareStart(ctx context.Context, conn *pgx.Conn, data pgx.TracePrepareStartData) context.Context {
	if callIn(ctx, callQuery) != nil || callIn(ctx, callBatch) != nil {
		return ctx
	}
	info := infoOf(conn)
	ctx, span := t.spans.StartPrepare(ctx, data.SQL, info.attrs...)
	return &call{Context: ctx, kind: callPrepare, span: span, sql: data.SQL, name: data.Name, conn: info}
}

// TracePrepareEnd ends the span of an explicit Prepare, and remembers the
// statement's name so that the queries run by that name are named after
// the statement.
func (t *Tracer) TracePrepareEnd(ctx context.Context, _ *pgx.Conn, data pgx.TracePrepareEndData) {
	c := callIn(ctx, callPrepare)
	if c == nil {
		return
	}
	t.spans.EndSQL(ctx, c.span, c.sql, data.Err)
	if data.Err == nil {
		c.conn.prepared(c.name, c.sql)
	}
}

// TraceConnectStart starts the span of a connection attempt.
func (t *Tracer) TraceConnectStart(ctx context.Context, data pgx.TraceConnectStartData) context.Context {
	info := newConnInfo(data.ConnConfig)
	attrs := append([]attribute.KeyValue{semconv.DBOperationName("connect")}, info.attrs...)
	ctx, span := t.spans.Start(ctx, "connect", attrs...)
	return &call{Context: ctx, kind: callConnect, span: span, conn: info}
}

// TraceConnectEnd ends the span of a connection attempt: a connection
// that cannot be made is db_unavailable (see instrument.DBSpans.EndConnect).
func (t *Tracer) TraceConnectEnd(ctx context.Context, data pgx.TraceConnectEndData) {
	c := callIn(ctx, callConnect)
	if c == nil {
		return
	}
	t.spans.EndConnect(ctx, c.span, data.Err)
	if data.Err == nil && data.Conn != nil {
		c.conn.attach(data.Conn)
	}
}

// batchState is what a batch's span needs at its end: the failed query
// it passes on, if any.
type batchState struct {
	failed trace.SpanID
	err    error
	f      instrument.DBFailure
}

// TraceBatchStart starts the span of a batch: "BATCH", with
// db.operation.batch.size; its queries are its children.
func (t *Tracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	info := infoOf(conn)
	attrs := make([]attribute.KeyValue, 0, 2+len(info.attrs))
	attrs = append(attrs, semconv.DBOperationName("BATCH"))
	if n := data.Batch.Len(); n != 1 {
		attrs = append(attrs, semconv.DBOperationBatchSize(n))
	}
	ctx, span := t.spans.Start(ctx, "BATCH", append(attrs, info.attrs...)...)
	return &call{Context: ctx, kind: callBatch, span: span, conn: info, batch: &batchState{}}
}

// TraceBatchQuery makes the span of a query of a batch, once its result
// is read: from when pgx began reading it.
func (t *Tracer) TraceBatchQuery(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	c := callIn(ctx, callBatch)
	if c == nil {
		return
	}
	sql := c.conn.statement(data.SQL)
	_, span := t.spans.StartSQL(ctx, sql, hasArgs(data.Args), data.ReadStartTime, c.conn.attrs...)
	t.spans.EndSQL(ctx, span, sql, data.Err)
	if f, ok := instrument.ClassifyDBError(ctx, data.Err); ok && f.Cause != vocab.CauseCanceled {
		c.batch.failed, c.batch.err, c.batch.f = span.SpanContext().SpanID(), data.Err, f
	}
}

// TraceBatchEnd ends the span of a batch. When the batch failed with the
// error of one of its queries, the batch span passed it on; otherwise it
// is the origin. The message is sanitized: a batch has no one statement
// to tell whether it holds literals.
func (t *Tracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	c := callIn(ctx, callBatch)
	if c == nil {
		return
	}
	defer c.span.End()
	b := c.batch
	f, ok := instrument.ClassifyDBError(ctx, data.Err)
	if !ok {
		return
	}
	if b.failed.IsValid() && errors.Is(data.Err, b.err) {
		f = b.f
		f.Origin = b.failed
	}
	f.Message = instrument.SanitizeSQL(f.Message)
	t.spans.Fail(ctx, c.span, data.Err, f)
}
