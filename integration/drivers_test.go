package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentpgx"
	"github.com/failhop/failhop/instrument/instrumentredis"
	"github.com/failhop/failhop/internal/devstack/testserver"
)

// The adapters' own tests run from packages under instrument/, which the
// call site skips as failhop's own code; here, the caller is this package,
// the service's code, as a service's is.

// wantCallSite checks that the span named name records, as the line that
// made the failing call, a line of fn in this file.
func wantCallSite(t *testing.T, sr *tracetest.SpanRecorder, name, fn string) {
	t.Helper()
	for _, s := range sr.Ended() {
		if s.Name() != name {
			continue
		}
		a := attrs(s)
		if a["code.function.name"] != "github.com/failhop/failhop/integration."+fn ||
			filepath.Base(a["code.file.path"]) != "drivers_test.go" || a["code.line.number"] == "" {
			t.Errorf("span %q: call site %s %s:%s, want %s in drivers_test.go", name,
				a["code.function.name"], a["code.file.path"], a["code.line.number"], fn)
		}
		return
	}
	t.Errorf("no span named %q", name)
}

// TestPgxCallSite: a failed query through pgx, on a connection and on a
// pool, records the service's line that made it, not a line of pgx.
func TestPgxCallSite(t *testing.T) {
	dsn := testserver.PostgresDSN(t)
	sr := tracetest.NewSpanRecorder()
	tracer := instrumentpgx.NewTracer(instrument.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))))
	ctx := context.Background()

	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tracer = tracer
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pgxFailingExec(t, conn)
	wantCallSite(t, sr, "SELECT nope_conn", "pgxFailingExec")

	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pcfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pgxFailingRow(t, pool)
	wantCallSite(t, sr, "SELECT nope_pool", "pgxFailingRow")
}

func pgxFailingExec(t *testing.T, conn *pgx.Conn) {
	if _, err := conn.Exec(context.Background(), "SELECT * FROM nope_conn"); err == nil {
		t.Fatal("the query succeeded")
	}
}

func pgxFailingRow(t *testing.T, pool *pgxpool.Pool) {
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT n FROM nope_pool WHERE id = $1", 1).Scan(&n); err == nil {
		t.Fatal("the query succeeded")
	}
}

// TestRedisCallSite: a failed command and a failed pipeline record the
// service's line that made them, not a line of go-redis.
func TestRedisCallSite(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: testserver.RedisAddr(t), DB: 2})
	defer rdb.Close()
	sr := tracetest.NewSpanRecorder()
	if err := instrumentredis.Instrument(rdb, instrument.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := rdb.Set(ctx, "callsite:string", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	redisFailingCommand(t, rdb)
	wantCallSite(t, sr, "LPUSH", "redisFailingCommand")
	redisFailingPipeline(t, rdb)
	wantCallSite(t, sr, "PIPELINE HGET", "redisFailingPipeline")
}

func redisFailingCommand(t *testing.T, rdb *redis.Client) {
	if err := rdb.LPush(context.Background(), "callsite:string", "y").Err(); err == nil {
		t.Fatal("LPUSH on a string succeeded")
	}
}

func redisFailingPipeline(t *testing.T, rdb *redis.Client) {
	ctx := context.Background()
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HGet(ctx, "callsite:string", "f")
		return nil
	}); err == nil {
		t.Fatal("HGET on a string succeeded")
	}
}

// TestInstrumentGoSumHasNoDrivers: a service that imports only package
// instrument downloads no database driver: its go.sum, after go mod tidy,
// names neither pgx nor go-redis (nor the adapters' other dependencies).
// The adapters are modules of their own for that.
func TestInstrumentGoSumHasNoDrivers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	_, file, _, _ := runtime.Caller(0)
	repo, err := filepath.Abs(filepath.Join(filepath.Dir(file), ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/shop\n\ngo 1.26.0\n\n"+
		"require github.com/failhop/failhop v0.0.0-00010101000000-000000000000\n\n"+
		"replace github.com/failhop/failhop => "+repo+"\n")
	write(t, filepath.Join(dir, "main.go"), `package main

import (
	"net/http"

	"github.com/failhop/failhop/instrument"
)

func main() {
	_ = http.ListenAndServe(":8080", instrument.Handler(http.NotFoundHandler(), "shop"))
}
`)
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sum), "go.opentelemetry.io/otel ") {
		t.Fatalf("go.sum does not even name OpenTelemetry:\n%s", sum)
	}
	for _, driver := range []string{"github.com/jackc/", "github.com/redis/", "github.com/exaring/", "modernc.org/sqlite"} {
		for line := range strings.Lines(string(sum)) {
			if strings.HasPrefix(line, driver) {
				t.Errorf("go.sum of a service that imports only instrument names %s", strings.TrimSpace(line))
			}
		}
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
