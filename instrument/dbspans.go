package instrument

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument/internal/request"
)

// DBSpans makes the client spans of a database library that reports its
// operations through hooks of its own rather than through database/sql
// (pgx's tracer, go-redis's hooks), the way [OpenDB] makes its spans: the
// same options, the same attributes and sanitizer, the same marks, and
// every failure reported to the request record of the [Handler] whose
// context the operation ran in, with the line of the service's code that
// made the call (code.function.name, code.file.path, code.line.number).
//
// The modules instrument/instrumentpgx and instrument/instrumentredis are
// built on it; a service needs it only to instrument another such library.
// An adapter starts a span with [DBSpans.Start], [DBSpans.StartSQL] or
// [DBSpans.StartPrepare] and ends it with [DBSpans.EndSQL] or
// [DBSpans.EndConnect], which classify
// the error as OpenDB does ([ClassifyDBError]); or it classifies the
// error itself, records it with [DBSpans.Fail], and ends the span.
type DBSpans struct {
	st *dbState
}

// NewDBSpans returns the DBSpans of a database library. scope is the
// instrumentation scope of its spans (the adapter's import path); system
// is their db.system.name ("postgresql", "redis"), unless
// [WithDBSystem] gives another (a PostgreSQL driver talking to
// CockroachDB); library lists the package path prefixes of the library
// ("github.com/jackc/pgx/"), whose frames are skipped, as failhop's own
// are, when a failure records the line of the service's code that made
// the call. Options other than [WithTracerProvider] and [WithDBSystem]
// are ignored.
func NewDBSpans(scope, system string, library []string, opts ...Option) *DBSpans {
	cfg := request.NewConfig(opts)
	if cfg.DBSystem == "" {
		cfg.DBSystem = system
	}
	st := newState(cfg)
	st.tracer = cfg.TracerProvider.Tracer(scope)
	st.library = library
	return &DBSpans{st: st}
}

// Start starts a client span named name, with db.system.name and attrs.
// The span is a child of the span in ctx, and in the context returned.
func (s *DBSpans) Start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	ctx, span := s.st.tracer.Start(ctx, name, s.st.spanStart...)
	if span.IsRecording() {
		if s.st.system != "" {
			span.SetAttributes(s.st.systemKV)
		}
		span.SetAttributes(attrs...)
	}
	return ctx, span
}

// StartSQL starts the client span of an SQL statement as OpenDB does:
// named after the statement's summary ("SELECT items"), with
// db.system.name, db.operation.name, db.query.summary and db.query.text
// (as written when the statement has arguments, hasArgs; else with every
// literal replaced by "?", see [SanitizeSQL]), then attrs. The analysis of
// a statement's text is cached. If started is not zero, the span starts
// then (an operation reported after the fact).
func (s *DBSpans) StartSQL(ctx context.Context, query string, hasArgs bool, started time.Time, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	ctx, span := s.st.startQuery(ctx, query, hasArgs, started)
	if len(attrs) > 0 && span.IsRecording() {
		span.SetAttributes(attrs...)
	}
	return ctx, span
}

// StartPrepare starts the client span of preparing the SQL statement
// query as OpenDB does: named "prepare" and the statement's summary
// ("prepare SELECT items"), with db.operation.name "prepare", the
// summary, and db.query.text sanitized, then attrs.
func (s *DBSpans) StartPrepare(ctx context.Context, query string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	ctx, span := s.st.startPrepare(ctx, query)
	if len(attrs) > 0 && span.IsRecording() {
		span.SetAttributes(attrs...)
	}
	return ctx, span
}

// EndSQL ends the span of the SQL statement query, recording err on it if
// [ClassifyDBError] says it is a failure (see [DBSpans.Fail]), with the
// error's message sanitized as db.query.text is when the statement's text
// holds literals: databases quote the text near an error. ctx is the
// context the statement ran with.
func (s *DBSpans) EndSQL(ctx context.Context, span trace.Span, query string, err error) {
	s.st.endStatement(ctx, span, query, err)
}

// EndConnect ends the span of a connection attempt, recording err on it
// if [ClassifyDBError] says it is a failure. A connection that cannot be
// made is db_unavailable, whatever the database answered (a wrong
// password, a database that does not exist), unless the caller gave up
// (canceled), time ran out (timeout) or the server has no room
// (resource_exhausted). OpenDB's connect spans end so too.
func (s *DBSpans) EndConnect(ctx context.Context, span trace.Span, err error) {
	s.st.endConnect(ctx, span, err)
}

// Fail records on span, which it does not end, that its operation failed
// with err, as f says: error.type and db.response.status_code (f.Code),
// status Error and an exception event with f.Message, the marks
// (failhop.origin and failhop.cause, or failhop.propagated when f.Origin
// is set), and reports the failure to the request record in ctx, with the
// service's line that made the call. A canceled operation (f.Cause
// canceled) is no fault of the database: it gets the marks only, and the
// status stays unset. Call it on the goroutine that made the call.
func (s *DBSpans) Fail(ctx context.Context, span trace.Span, err error, f DBFailure) {
	s.st.record(ctx, span, err, f)
}

// SanitizeSQL returns text with every literal replaced by "?" and its
// comments removed, as db.query.text is written for a statement run
// without arguments: quoted strings (double-quoted text included), numbers,
// hex, bit and dollar-quoted strings. An unterminated string or comment
// removes the rest of the text. It never fails. It is also what makes an
// error message that may quote a statement or its values safe to record.
func SanitizeSQL(text string) string {
	return sanitizeQuery(text, false)
}
