package instrumentpgx_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentpgx"
	"github.com/failhop/failhop/vocab"
)

// secret is the password of scripts/postgres.sh's role: no span may hold it.
const secret = "failhop-secret"

// table is the tests' table, apart from those of the other tests that
// share the server.
const table = "instrumentpgx_items"

// postgresDSN returns the DSN of the test server, or skips the test when
// there is none (fails when CI=true, where there must be one).
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("FAILHOP_TEST_POSTGRES_DSN")
	if dsn == "" {
		msg := "FAILHOP_TEST_POSTGRES_DSN is not set: start a server with scripts/postgres.sh (at the repository's root) and export the DSN it prints; make test does"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dsn
}

// db is what the tests run statements on: a *pgx.Conn or a *pgxpool.Pool.
type db interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// recorder records the ended spans of a tracer provider.
type recorder struct {
	*tracetest.SpanRecorder
	tp *sdktrace.TracerProvider
}

func newRecorder(t testing.TB) *recorder {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &recorder{SpanRecorder: sr, tp: tp}
}

// opener opens a traced connection or pool on dsn.
type opener struct {
	name string
	open func(t testing.TB, dsn string, tracer *instrumentpgx.Tracer) (db, error)
}

var openers = []opener{
	{"conn", func(t testing.TB, dsn string, tracer *instrumentpgx.Tracer) (db, error) {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Tracer = tracer
		conn, err := pgx.ConnectConfig(context.Background(), cfg)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		return conn, nil
	}},
	{"pool", func(t testing.TB, dsn string, tracer *instrumentpgx.Tracer) (db, error) {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.Tracer = tracer
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			return nil, err
		}
		t.Cleanup(pool.Close)
		return pool, pool.Ping(context.Background())
	}},
}

// forEach runs test on a traced connection and on a traced pool, each with
// the table set up and its setup's spans forgotten.
func forEach(t *testing.T, test func(t *testing.T, d db, rec *recorder)) {
	dsn := postgresDSN(t)
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			rec := newRecorder(t)
			d, err := o.open(t, dsn, instrumentpgx.NewTracer(instrument.WithTracerProvider(rec.tp)))
			if err != nil {
				t.Fatal(err)
			}
			setup(t, d)
			rec.Reset()
			test(t, d, rec)
			noSecret(t, rec.Ended())
		})
	}
}

func setup(t testing.TB, d db) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + table,
		"CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)",
		"INSERT INTO " + table + " (id, name) VALUES (1, 'apple'), (2, 'pear')",
	} {
		if _, err := d.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// want says what the span of an operation must carry.
type want struct {
	name   string            // span name
	attrs  map[string]string // attributes that must be there, "" for any value
	status codes.Code
	// cause is failhop.cause, on an origin; "" for no marks at all.
	cause string
	// propagated says the span only passed the failure on.
	propagated bool
	// notInText are literals of the statement that no attribute, status
	// or event may hold.
	notInText []string
}

// find returns the only span named name; it fails otherwise.
func find(t testing.TB, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one span named %q, got %d among %q", name, len(found), names)
	}
	return found[0]
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// texts returns every string a span holds: name, attributes, status, events.
func texts(s sdktrace.ReadOnlySpan) []string {
	out := []string{s.Name(), s.Status().Description}
	for _, kv := range s.Attributes() {
		out = append(out, kv.Value.String())
	}
	for _, e := range s.Events() {
		out = append(out, e.Name)
		for _, kv := range e.Attributes {
			out = append(out, kv.Value.String())
		}
	}
	return out
}

// check finds the span named w.name and checks it.
func check(t testing.TB, spans []sdktrace.ReadOnlySpan, w want) sdktrace.ReadOnlySpan {
	t.Helper()
	s := find(t, spans, w.name)
	if s.SpanKind() != trace.SpanKindClient {
		t.Errorf("span %q: kind %v, want client", w.name, s.SpanKind())
	}
	a := attrs(s)
	for k, v := range w.attrs {
		if got, ok := a[k]; !ok {
			t.Errorf("span %q: no attribute %s (has %v)", w.name, k, a)
		} else if v != "" && got != v {
			t.Errorf("span %q: %s = %q, want %q", w.name, k, got, v)
		}
	}
	if s.Status().Code != w.status {
		t.Errorf("span %q: status %v %q, want %v", w.name, s.Status().Code, s.Status().Description, w.status)
	}
	if w.status == codes.Error && s.Status().Description == "" {
		t.Errorf("span %q: Error status without a message", w.name)
	}
	checkMarks(t, s, a, w)
	for _, lit := range w.notInText {
		for _, text := range texts(s) {
			if strings.Contains(text, lit) {
				t.Errorf("span %q: %q holds the literal %q", w.name, text, lit)
			}
		}
	}
	return s
}

func checkMarks(t testing.TB, s sdktrace.ReadOnlySpan, a map[string]string, w want) {
	t.Helper()
	origin, propagated, cause := a[vocab.KeyOrigin], a[vocab.KeyPropagated], a[vocab.KeyCause]
	switch {
	case w.cause == "":
		if origin != "" || propagated != "" || cause != "" || a["error.type"] != "" {
			t.Errorf("span %q: unexpected marks origin=%q propagated=%q cause=%q error.type=%q", s.Name(), origin, propagated, cause, a["error.type"])
		}
	case w.propagated:
		if propagated != "true" || origin != "" || cause != w.cause {
			t.Errorf("span %q: marks propagated=%q origin=%q cause=%q, want propagated cause=%q", s.Name(), propagated, origin, cause, w.cause)
		}
	default:
		if origin != "true" || cause != w.cause {
			t.Errorf("span %q: marks origin=%q cause=%q, want origin cause=%q", s.Name(), origin, cause, w.cause)
		}
	}
}

// noSecret checks that no span holds the password of the DSN.
func noSecret(t testing.TB, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	for _, s := range spans {
		for _, text := range texts(s) {
			if strings.Contains(text, secret) {
				t.Errorf("span %q records the password: %q", s.Name(), text)
			}
		}
	}
}
