// Package instrumentpgx traces github.com/jackc/pgx/v5 with the spans and
// failhop marks that instrument.OpenDB gives database/sql, for services that
// use pgx (or pgxpool) directly:
//
//	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
//	if err != nil { ... }
//	cfg.ConnConfig.Tracer = instrumentpgx.NewTracer()
//	pool, err := pgxpool.NewWithConfig(ctx, cfg)
//
// It is a module of its own, so that a service that imports only package
// instrument downloads no pgx.
//
// Every query, exec, batch, explicit prepare and connect becomes a client
// span following the database semantic conventions, made by package
// instrument (instrument.DBSpans), so that it is the span OpenDB makes:
//
//   - named after the statement's summary ("SELECT items"); a batch is
//     "BATCH", its queries its children; a connect is "connect", an
//     explicit Prepare "prepare SELECT items";
//   - db.system.name "postgresql" (instrument.WithDBSystem gives another,
//     such as "cockroachdb"), db.operation.name, db.query.summary,
//     server.address, server.port and db.namespace (the database) from the
//     connection's configuration, never its password;
//   - db.query.text as written when the statement has arguments, else with
//     every literal replaced by "?"; an error's message is sanitized too
//     when the statement holds literals, as databases quote the text near
//     an error.
//
// Failures are marked as OpenDB marks them: a *pgconn.PgError makes the span
// the origin (failhop.origin) with cause db_error (or timeout, db_unavailable,
// resource_exhausted, by SQLSTATE class) and db.response.status_code, the
// SQLSTATE; a connection that cannot be made is db_unavailable; a caller
// that gave up (canceled context) is cause canceled without Error status;
// pgx.ErrNoRows is no failure. A failed query of a batch is the origin, and
// the batch span is marked propagated from it. Each failure is reported to
// the request record of the instrument.Handler whose context the query ran
// with, with the line of the service's code that made the call, so that a
// request answering 500 after a failed query names it.
//
// pgx prepares a statement the first time a connection runs it; that
// preparation is part of the query's span, not a span of its own. A
// statement run by the name given to Prepare is named and recorded as the
// statement it names.
package instrumentpgx
