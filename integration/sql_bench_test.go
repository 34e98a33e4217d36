package integration

import (
	"context"
	"database/sql"
	"testing"

	"github.com/XSAM/otelsql"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/failhop/failhop/instrument"
)

// The SQL benchmarks compare failhop's OpenDB with github.com/XSAM/otelsql
// and with no instrumentation (lib=bare, the floor), on the success path,
// against an in-memory SQLite database (modernc.org/sqlite) on a single
// connection, so that the figures are the driver's work plus the
// instrumentation's, not I/O. Both instrumented libraries get the same SDK
// and sampler: always on, no span processor or exporter, so what is
// measured is the cost of making and filling spans. Sub-benchmark names
// carry lib=..., for `benchstat -col /lib`; scripts/bench.sh runs them and
// docs/performance.md has the figures.
//
// What each library records per statement, as configured here:
//
//   - failhop: one client span per statement, named after the query summary
//     ("SELECT items"), with db.system.name, db.operation.name,
//     db.query.summary and db.query.text (the text as written, since it has
//     arguments); for a query the span lasts until the rows are closed.
//     No per-operation metrics (only pool gauges, read on collection; the
//     meter provider is the global no-op one, as for otelsql).
//   - otelsql: one client span per statement ("sql.conn.query",
//     "sql.conn.exec") with db.system.name (given with WithAttributes) and
//     db.query.text, ending when the driver returns; plus a
//     db.client.operation.duration measurement per call, to the global
//     no-op meter provider. Its separate sql.rows span and its
//     sql.conn.reset_session span are turned off (OmitRows,
//     OmitConnResetSession), so that it, like failhop, makes one span per
//     statement.

const (
	benchQuery = "SELECT id, name, stock FROM items WHERE id = ?"
	benchExec  = "UPDATE items SET stock = stock + 1 WHERE id = ?"
)

func benchTracerProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

type benchDB struct {
	name string
	open func(b *testing.B) *sql.DB
}

// benchDBs opens, for each library, an in-memory SQLite database with a
// small items table. The pool is held to one connection: each connection
// to ":memory:" has a database of its own.
func benchDBs(b *testing.B) []benchDB {
	tp := benchTracerProvider(b)
	return []benchDB{
		{"bare", func(b *testing.B) *sql.DB {
			return setupBenchDB(b, func() (*sql.DB, error) { return sql.Open("sqlite", ":memory:") })
		}},
		{"otelsql", func(b *testing.B) *sql.DB {
			return setupBenchDB(b, func() (*sql.DB, error) {
				return otelsql.Open("sqlite", ":memory:",
					otelsql.WithTracerProvider(tp),
					otelsql.WithAttributes(semconv.DBSystemNameSQLite),
					otelsql.WithSpanOptions(otelsql.SpanOptions{OmitRows: true, OmitConnResetSession: true}),
				)
			})
		}},
		{"failhop", func(b *testing.B) *sql.DB {
			return setupBenchDB(b, func() (*sql.DB, error) {
				return instrument.OpenDB("sqlite", ":memory:", instrument.WithTracerProvider(tp))
			})
		}},
	}
}

func setupBenchDB(b *testing.B, open func() (*sql.DB, error)) *sql.DB {
	b.Helper()
	db, err := open()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, stock INTEGER NOT NULL)",
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) " +
			"INSERT INTO items (id, name, stock) SELECT i, 'item ' || i, i % 10 FROM n",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

// BenchmarkSQLQuery runs a parameterized query and scans its one row.
func BenchmarkSQLQuery(b *testing.B) {
	for _, lib := range benchDBs(b) {
		b.Run("lib="+lib.name, func(b *testing.B) {
			db := lib.open(b)
			ctx := context.Background()
			var (
				id, stock int64
				name      string
			)
			b.ReportAllocs()
			for b.Loop() {
				if err := db.QueryRowContext(ctx, benchQuery, 7).Scan(&id, &name, &stock); err != nil {
					b.Fatal(err)
				}
			}
			if id != 7 || name != "item 7" {
				b.Fatalf("scanned %d %q", id, name)
			}
		})
	}
}

// BenchmarkSQLExec runs a parameterized update of one row.
func BenchmarkSQLExec(b *testing.B) {
	for _, lib := range benchDBs(b) {
		b.Run("lib="+lib.name, func(b *testing.B) {
			db := lib.open(b)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := db.ExecContext(ctx, benchExec, 7); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
