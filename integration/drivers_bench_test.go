package integration

import (
	"context"
	"testing"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentpgx"
	"github.com/failhop/failhop/instrument/instrumentredis"
	"github.com/failhop/failhop/internal/devstack/testserver"
)

// The pgx and go-redis benchmarks compare failhop's adapters with each
// library's own OpenTelemetry instrumentation (github.com/exaring/otelpgx,
// github.com/redis/go-redis/extra/redisotel) and with none (lib=bare),
// on the success path, against the real servers of scripts/postgres.sh and
// scripts/redis.sh over the loopback, one connection each. The SDK and
// sampler are those of the SQL benchmarks (always on, no processor, no
// exporter). Every call runs under a recording parent span, as in a
// request: otelpgx makes no span without one. Sub-benchmark names carry
// lib=..., for `benchstat -col /lib`; scripts/bench.sh runs them and
// docs/performance.md has the figures.
//
// What each library records per call, as configured here (its defaults):
//
//   - failhop: one client span per statement or command, named after it
//     ("SELECT bench_items", "GET"), with the attributes of the
//     conventions (db.query.text: a Redis command's shape, no values);
//   - otelpgx: one span per statement ("query SELECT ...") with
//     db.query.text and the connection's attributes, read from a copy of
//     its configuration at each statement, plus its metrics (to the global
//     no-op meter provider);
//   - redisotel: one span per command ("get") with db.statement, the
//     command with its values.

const (
	pgxBenchTable = "bench_pgx_items"
	pgxBenchQuery = "SELECT id, name, stock FROM " + pgxBenchTable + " WHERE id = $1"
	pgxBenchExec  = "UPDATE " + pgxBenchTable + " SET stock = stock + 1 WHERE id = $1"
	redisBenchDB  = 3
)

// benchParent returns a context with a recording span, the request's.
func benchParent(b *testing.B, tp *sdktrace.TracerProvider) context.Context {
	ctx, span := tp.Tracer("bench").Start(context.Background(), "request")
	b.Cleanup(func() { span.End() })
	return ctx
}

// pgxTracers are the libraries compared, as a pgx tracer (nil: none).
func pgxTracers(tp *sdktrace.TracerProvider) []struct {
	name   string
	tracer pgx.QueryTracer
} {
	return []struct {
		name   string
		tracer pgx.QueryTracer
	}{
		{"bare", nil},
		{"otelpgx", otelpgx.NewTracer(otelpgx.WithTracerProvider(tp))},
		{"failhop", instrumentpgx.NewTracer(instrument.WithTracerProvider(tp))},
	}
}

// benchPgx runs call on a connection of each library, the table ready.
func benchPgx(b *testing.B, call func(ctx context.Context, conn *pgx.Conn) error) {
	dsn := testserver.PostgresDSN(b)
	tp := benchTracerProvider(b)
	for _, lib := range pgxTracers(tp) {
		b.Run("lib="+lib.name, func(b *testing.B) {
			cfg, err := pgx.ParseConfig(dsn)
			if err != nil {
				b.Fatal(err)
			}
			cfg.Tracer = lib.tracer
			ctx := benchParent(b, tp)
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = conn.Close(context.Background()) })
			setupPgxBench(b, conn)
			b.ReportAllocs()
			for b.Loop() {
				if err := call(ctx, conn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func setupPgxBench(b *testing.B, conn *pgx.Conn) {
	b.Helper()
	for _, q := range []string{
		// An update's commit waits for no disk: the figures are the
		// instrumentation's, not fsync's.
		"SET synchronous_commit TO off",
		"CREATE TABLE IF NOT EXISTS " + pgxBenchTable + " (id INTEGER PRIMARY KEY, name TEXT NOT NULL, stock INTEGER NOT NULL)",
		"INSERT INTO " + pgxBenchTable + " (id, name, stock) SELECT i, 'item ' || i, i % 10 FROM generate_series(1, 100) i ON CONFLICT (id) DO NOTHING",
	} {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
}

// BenchmarkPgxQuery runs a parameterized query and scans its one row.
func BenchmarkPgxQuery(b *testing.B) {
	var (
		id, stock int64
		name      string
	)
	benchPgx(b, func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, pgxBenchQuery, 7).Scan(&id, &name, &stock)
	})
}

// BenchmarkPgxExec runs a parameterized update of one row.
func BenchmarkPgxExec(b *testing.B) {
	benchPgx(b, func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, pgxBenchExec, 7)
		return err
	})
}

// benchRedis runs call on a client of each library, with one connection.
func benchRedis(b *testing.B, call func(ctx context.Context, rdb *redis.Client) error) {
	addr := testserver.RedisAddr(b)
	tp := benchTracerProvider(b)
	libs := []struct {
		name       string
		instrument func(*redis.Client) error
	}{
		{"bare", func(*redis.Client) error { return nil }},
		{"redisotel", func(rdb *redis.Client) error {
			return redisotel.InstrumentTracing(rdb, redisotel.WithTracerProvider(tp))
		}},
		{"failhop", func(rdb *redis.Client) error {
			return instrumentredis.Instrument(rdb, instrument.WithTracerProvider(tp))
		}},
	}
	for _, lib := range libs {
		b.Run("lib="+lib.name, func(b *testing.B) {
			rdb := redis.NewClient(&redis.Options{Addr: addr, DB: redisBenchDB, PoolSize: 1})
			b.Cleanup(func() { _ = rdb.Close() })
			if err := lib.instrument(rdb); err != nil {
				b.Fatal(err)
			}
			ctx := benchParent(b, tp)
			if err := rdb.Set(ctx, "bench:item:7", "item 7", 0).Err(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := call(ctx, rdb); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRedisGet reads one key.
func BenchmarkRedisGet(b *testing.B) {
	benchRedis(b, func(ctx context.Context, rdb *redis.Client) error {
		return rdb.Get(ctx, "bench:item:7").Err()
	})
}

// BenchmarkRedisPipeline sets, reads and expires a key in one pipeline.
func BenchmarkRedisPipeline(b *testing.B) {
	benchRedis(b, func(ctx context.Context, rdb *redis.Client) error {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "bench:item:8", "item 8", 0)
			p.Get(ctx, "bench:item:8")
			p.Expire(ctx, "bench:item:8", time.Hour)
			return nil
		})
		return err
	})
}
