package instrumentpgx_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentpgx"
	"github.com/failhop/failhop/instrument/internal/spantest"
	"github.com/failhop/failhop/internal/devstack/testserver"
)

// secret is the password of scripts/postgres.sh's role: no span may hold it.
const secret = "failhop-secret"

// table is the tests' table, apart from those of the other tests that
// share the server.
const table = "instrumentpgx_items"

// db is what the tests run statements on: a *pgx.Conn or a *pgxpool.Pool.
type db interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
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
func forEach(t *testing.T, test func(t *testing.T, d db, rec *spantest.Recorder)) {
	dsn := testserver.PostgresDSN(t)
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			rec := spantest.NewRecorder(t)
			d, err := o.open(t, dsn, instrumentpgx.NewTracer(instrument.WithTracerProvider(rec.TP)))
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

// noSecret checks that no span holds the password of the DSN.
func noSecret(t testing.TB, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	spantest.NoValues(t, spans, secret)
}
