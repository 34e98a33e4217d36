package instrument

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"github.com/failhop/failhop/instrument/internal/request"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// OpenDB opens a database like [sql.Open], through a driver already
// registered under driverName, and traces what the pool does with it: every
// connect, ping, exec, query, prepare, begin, commit and rollback becomes a
// client span following the OpenTelemetry database conventions. A failing
// operation marks its span as the origin of the error (failhop.origin,
// failhop.cause) and reports it to the request record of the Handler whose
// context it ran in, so that a 500 can be traced back to the failed query.
//
// db.system.name is taken from [WithDBSystem], else guessed from driverName
// ("pgx", "postgres" -> "postgresql", "sqlite", "sqlite3" -> "sqlite",
// "mysql"). The data source name is never recorded: it may hold a password.
//
// OpenDB also reports the pool's connection counts as metrics
// (db.client.connection.count and related) through the meter provider,
// until the returned DB is closed.
func OpenDB(driverName, dsn string, opts ...Option) (*sql.DB, error) {
	// database/sql offers no other way to look a registered driver up:
	// sql.Open only records the driver (and its connector), it does not
	// connect.
	probe, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, err
	}
	d := probe.Driver()
	_ = probe.Close()

	var c driver.Connector
	if dc, ok := d.(driver.DriverContext); ok {
		if c, err = dc.OpenConnector(dsn); err != nil {
			return nil, err
		}
	} else {
		c = dsnConnector{dsn: dsn, d: d}
	}

	cfg := request.NewConfig(opts)
	if cfg.DBSystem == "" {
		cfg.DBSystem = guessDBSystem(driverName)
	}
	wc := newConnector(c, cfg)
	db := sql.OpenDB(wc)
	wc.metrics = registerPoolMetrics(db, driverName, cfg)
	return db, nil
}

// WrapConnector returns a connector that traces the connections c makes, as
// [OpenDB] does, for use with [sql.OpenDB] when the driver is configured in
// code rather than by a data source name (pgx's stdlib.GetConnector, for
// example). db.system.name is set only if given with [WithDBSystem]. It
// reports no pool metrics, as it never sees the sql.DB.
func WrapConnector(c driver.Connector, opts ...Option) driver.Connector {
	return newConnector(c, request.NewConfig(opts))
}

// guessDBSystem maps well-known driver names to db.system.name values.
func guessDBSystem(driverName string) string {
	switch strings.ToLower(driverName) {
	case "pgx", "pgx/v4", "pgx/v5", "postgres", "postgresql", "pq", "cloudsqlpostgres":
		return "postgresql"
	case "sqlite", "sqlite3", "sqlite3_extended":
		return "sqlite"
	case "mysql":
		return "mysql"
	case "mariadb":
		return "mariadb"
	case "sqlserver", "mssql":
		return "microsoft.sql_server"
	case "oracle", "godror":
		return "oracle.db"
	case "clickhouse":
		return "clickhouse"
	}
	return ""
}

// dsnConnector connects through a driver without DriverContext, as
// database/sql does.
type dsnConnector struct {
	dsn string
	d   driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }

// dbState is shared by a connector and everything it creates.
type dbState struct {
	tracer    trace.Tracer
	system    string
	systemKV  attribute.KeyValue
	dqIdent   bool // "..." quotes identifiers, not strings
	queries   sync.Map
	nQueries  atomic.Int32
	spanStart []trace.SpanStartOption
	// library lists the package path prefixes of the database library
	// whose hooks report to a DBSpans, skipped when a failure records its
	// call site (see request.MarkCallSite).
	library []string
}

// maxCachedQueries bounds the cache of analysed query texts, so that
// queries with inlined values cannot grow it without limit.
const maxCachedQueries = 2048

func newState(cfg *request.Config) *dbState {
	st := &dbState{
		tracer:    cfg.TracerProvider.Tracer(ScopeName),
		system:    cfg.DBSystem,
		spanStart: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)},
	}
	if st.system != "" {
		st.systemKV = semconv.DBSystemNameKey.String(st.system)
	}
	switch st.system {
	case "postgresql", "cockroachdb", "oracle.db", "ibm.db2":
		st.dqIdent = true
	}
	return st
}

// cachedQuery is what a connector keeps of a query text: its analysis,
// and the name and attributes of the spans of the statement, made once
// rather than on every call.
type cachedQuery struct {
	queryInfo
	name     string // span name
	literals bool   // the text has literals or comments: sanitizing changed it
	// kv holds the span attributes: db.query.text as written,
	// db.system.name, db.operation.name, db.query.summary (those known),
	// db.query.text sanitized. A statement run with arguments records
	// kv[:len(kv)-1], one without kv[1:] (see startQuery). Never modified
	// once made: it is shared by every span of the query.
	kv []attribute.KeyValue
}

// info returns the analysis of query, from the cache when it is there.
func (st *dbState) info(query string) *cachedQuery {
	if v, ok := st.queries.Load(query); ok {
		return v.(*cachedQuery)
	}
	q := st.analyze(query)
	if st.nQueries.Load() < maxCachedQueries {
		if v, loaded := st.queries.LoadOrStore(query, q); loaded {
			q = v.(*cachedQuery)
		} else {
			st.nQueries.Add(1)
		}
	}
	return q
}

// analyze analyses query and makes the name and attributes of its spans.
func (st *dbState) analyze(query string) *cachedQuery {
	q := &cachedQuery{queryInfo: analyzeQuery(query, st.dqIdent, true)}
	q.literals = q.sanitized != query
	switch {
	case q.summary != "":
		q.name = q.summary
	case q.operation != "":
		q.name = q.operation
	case st.system != "":
		q.name = st.system
	default:
		q.name = "sql"
	}
	kv := make([]attribute.KeyValue, 0, 5)
	kv = append(kv, semconv.DBQueryText(query))
	if st.system != "" {
		kv = append(kv, st.systemKV)
	}
	if q.operation != "" {
		kv = append(kv, semconv.DBOperationName(q.operation))
	}
	if q.summary != "" {
		kv = append(kv, semconv.DBQuerySummary(q.summary))
	}
	q.kv = append(kv, semconv.DBQueryText(q.sanitized))
	return q
}

// Operation names of the spans that run no statement.
const (
	opConnect  = "connect"
	opPing     = "ping"
	opBegin    = "begin"
	opCommit   = "commit"
	opRollback = "rollback"
	opPrepare  = "prepare"
)

// startOp starts the span of an operation that runs no statement.
func (st *dbState) startOp(ctx context.Context, op string) (context.Context, trace.Span) {
	ctx, span := st.tracer.Start(ctx, op, st.spanStart...)
	if span.IsRecording() {
		if st.system != "" {
			span.SetAttributes(st.systemKV, semconv.DBOperationName(op))
		} else {
			span.SetAttributes(semconv.DBOperationName(op))
		}
	}
	return ctx, span
}

// startQuery starts the span of a statement. With args, the text is
// recorded as written, since the values are elsewhere; without, its
// literals are replaced by "?". If started is not zero, it is when the
// operation began (the span is made after the fact).
func (st *dbState) startQuery(ctx context.Context, query string, hasArgs bool, started time.Time) (context.Context, trace.Span) {
	q := st.info(query)
	var span trace.Span
	if started.IsZero() {
		ctx, span = st.tracer.Start(ctx, q.name, st.spanStart...)
	} else {
		ctx, span = st.tracer.Start(ctx, q.name, st.spanStart[0], trace.WithTimestamp(started))
	}
	if !span.IsRecording() {
		return ctx, span
	}
	// db.system.name, db.operation.name, db.query.summary, and
	// db.query.text as written or sanitized: see cachedQuery.
	if hasArgs {
		span.SetAttributes(q.kv[:len(q.kv)-1]...)
	} else {
		span.SetAttributes(q.kv[1:]...)
	}
	return ctx, span
}

// startPrepare starts the span of preparing a statement.
func (st *dbState) startPrepare(ctx context.Context, query string) (context.Context, trace.Span) {
	qi := st.info(query)
	name := opPrepare
	if qi.summary != "" {
		name = opPrepare + " " + qi.summary
	}
	ctx, span := st.tracer.Start(ctx, name, st.spanStart...)
	if span.IsRecording() {
		var buf [4]attribute.KeyValue
		attrs := buf[:0]
		if st.system != "" {
			attrs = append(attrs, st.systemKV)
		}
		attrs = append(attrs, semconv.DBOperationName(opPrepare))
		if qi.summary != "" {
			attrs = append(attrs, semconv.DBQuerySummary(qi.summary))
		}
		// The statement has placeholders or no values: either way the text
		// is recorded sanitized, which keeps a placeholder as it is.
		attrs = append(attrs, semconv.DBQueryText(qi.sanitized))
		span.SetAttributes(attrs...)
	}
	return ctx, span
}

// end ends span, recording err on it if it is a failure. ctx is the
// caller's context: its request record hears of the failure, and whether it
// was canceled or timed out helps tell what happened.
func (st *dbState) end(ctx context.Context, span trace.Span, err error) {
	if err != nil {
		st.fail(ctx, span, err, false)
	}
	span.End()
}

// endConnect is end for a connect span. A connection that cannot be made
// leaves the database unavailable to the caller, whatever it answered (a
// wrong password, a database that does not exist): db_unavailable,
// unless the caller gave up, time ran out or the server ran out of
// connections.
func (st *dbState) endConnect(ctx context.Context, span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		if f, ok := ClassifyDBError(ctx, err); ok {
			if f.Cause == vocab.CauseDBError {
				f.Cause = vocab.CauseDBUnavailable
			}
			st.record(ctx, span, err, f)
		}
	}
	span.End()
}

// endStatement is end for the span of a statement: when the statement's
// text holds literals (values written into it, not passed as arguments),
// the error's message is recorded sanitized as db.query.text is, because
// databases quote the text near an error ("near \"secret\": syntax
// error"). The error itself goes on to the caller unchanged.
func (st *dbState) endStatement(ctx context.Context, span trace.Span, query string, err error) {
	if err != nil {
		st.fail(ctx, span, err, st.info(query).literals)
	}
	span.End()
}

// fail records err on span if it is a failure (see ClassifyDBError), its
// message sanitized if the statement had literals.
func (st *dbState) fail(ctx context.Context, span trace.Span, err error, literals bool) {
	if !span.IsRecording() {
		return
	}
	f, ok := ClassifyDBError(ctx, err)
	if !ok {
		return
	}
	if literals {
		f.Message = sanitizeQuery(f.Message, false)
	}
	st.record(ctx, span, err, f)
}

// record writes failure f of err on span: status, error.type,
// db.response.status_code, an exception event and the marks, and
// reports it to the request record in ctx. A canceled operation is not
// the database's fault: it gets the marks only.
func (st *dbState) record(ctx context.Context, span trace.Span, err error, f DBFailure) {
	if !span.IsRecording() {
		return
	}
	if f.Origin.IsValid() {
		st.recordPropagated(ctx, span, err, f)
		return
	}
	if f.Cause == vocab.CauseCanceled {
		// The caller gave up: not a fault of the database, so no Error
		// status, but the marks say where it stopped.
		request.FailCall(ctx, span, f.Cause, err, st.library...)
		return
	}
	setErrorType(span, err, f.Code)
	span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(
		semconv.ExceptionType(semconv.ErrorType(err).Value.AsString()), semconv.ExceptionMessage(f.Message)))
	span.SetStatus(codes.Error, f.Message)
	request.FailCall(ctx, span, f.Cause, err, st.library...)
}

// recordPropagated writes on span that it failed because its child
// f.Origin did.
func (st *dbState) recordPropagated(ctx context.Context, span trace.Span, err error, f DBFailure) {
	setErrorType(span, err, f.Code)
	span.SetStatus(codes.Error, f.Message)
	rf := request.Failure{SpanID: span.SpanContext().SpanID(), OriginSpanID: f.Origin, Cause: f.Cause, Err: err}
	request.MarkPropagated(span, rf)
	request.RecordFrom(ctx).Add(rf)
}

// setErrorType sets error.type: the status code the database gave (also
// db.response.status_code), else the Go type of err.
func setErrorType(span trace.Span, err error, code string) {
	if code != "" {
		span.SetAttributes(semconv.ErrorTypeKey.String(code), semconv.DBResponseStatusCode(code))
	} else {
		span.SetAttributes(semconv.ErrorType(err))
	}
}

// notFailure reports whether err is an outcome database/sql expects rather
// than a failure: a skipped fast path, the end of rows, no rows.
func notFailure(err error) bool {
	return err == nil || err == driver.ErrSkip || err == io.EOF ||
		err == driver.ErrRemoveArgument || errors.Is(err, sql.ErrNoRows)
}
