// Package instrument traces HTTP servers, HTTP clients and database/sql with
// OpenTelemetry and marks, on every span that failed, where the failure
// started and which spans only passed it on. With these marks a trace of a
// request that returned 500 answers "which hop broke, and why?".
//
// Three wrappers and one function cover a service:
//
//	mux := http.NewServeMux()
//	handler := instrument.Handler(mux, "orders")                        // server spans
//	client := &http.Client{Transport: instrument.Transport(nil)}       // client spans
//	db, err := instrument.OpenDB("pgx", os.Getenv("DATABASE_URL"))     // SQL spans
//	instrument.RecordError(ctx, err)                                   // an app error, with stack
//
// A server span is named by its route ("GET /items/{id}"): the pattern a
// ServeMux matched, or the template a router gives [SetRoute] (the
// middlewares of instrument/instrumentchi, instrumentmux, instrumentgin and
// instrumentecho, each a module of its own, do).
//
// HTTP spans are made by otelhttp and follow the HTTP semantic conventions;
// SQL spans follow the database conventions. failhop adds what those leave
// out: error.type on 5xx server spans, recovered panics with their stack, a
// safe error page, and these attributes on failed spans:
//
//	failhop.origin          bool    the error started at this span
//	failhop.propagated      bool    this span failed because a child span or a downstream service failed
//	failhop.origin_span_id  string  the origin span, when known (in-process, or reported by the downstream)
//	failhop.cause           string  what kind of failure: one of vocab.Causes
//
// Package vocab names these keys (vocab.KeyOrigin...) and the causes
// (vocab.CausePanic...), for code that reads the marks or gives a cause
// to [MarkCause].
//
// The rules: a Handler that answers 5xx is the origin when nothing under it
// failed (cause app_error, or panic), and propagated when a span under it
// failed. A client span that got no response is the origin; one that got a
// 5xx propagated the downstream failure, whose cause and origin span arrive
// in the Failhop-Error response header; one that got a 4xx is the origin
// with cause upstream_rejected, since the request we sent was refused. A SQL
// span that failed is the origin. A request-scoped record in the context
// carries what the spans under a Handler saw up to its server span.
//
// Services on pgx or go-redis take the same spans and marks from modules
// of their own, instrument/instrumentpgx and instrument/instrumentredis,
// built on [DBSpans]: the machinery of OpenDB's spans, public for adapters
// of database libraries that report through hooks of their own.
//
// Which span broke the whole request (failhop.root_cause) needs the whole
// trace, across services: the failhop analyzer and collector processor set
// it, not this package.
package instrument
