// Package demo holds the little plumbing the demo shop's services share and
// that has nothing to do with tracing: reading settings from the environment,
// choosing the database and serving until stopped. Everything about instrumentation stays in each
// service's main.go, which is meant to be read and copied.
package demo

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"               // registers the "sqlite" driver
)

// Serve serves srv on srv.Addr until ctx is done, then lets the requests
// in flight finish (10 s at most). It logs "listening" once the port is
// held, so a port taken by another process is the error, never a log line
// saying the service listens.
func Serve(ctx context.Context, srv *http.Server) error {
	l, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	slog.Info("listening", "addr", l.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// Getenv returns the environment variable name, or def when it is unset or
// empty.
func Getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Duration returns the environment variable name as a duration ("500ms",
// "2s"), or def when it is unset; a malformed value is an error.
func Duration(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// Database says which database a service uses.
type Database struct {
	Driver string // "pgx" or "sqlite", for instrument.OpenDB
	DSN    string
	// Schema is the PostgreSQL schema that holds the service's tables
	// (services can share one PostgreSQL database); empty for SQLite.
	Schema string
}

// DatabaseFor picks the database of service: PostgreSQL when DATABASE_URL
// is a postgres:// URL (the tables go to the schema DATABASE_SCHEMA, by
// default the service's name), an SQLite DSN when DATABASE_URL is anything
// else, and otherwise the SQLite file <dataDir>/<service>.db.
func DatabaseFor(service, dataDir string) (Database, error) {
	raw := os.Getenv("DATABASE_URL")
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return Database{}, fmt.Errorf("DATABASE_URL is not a valid URL") // never print it: it may hold a password
		}
		schema := Getenv("DATABASE_SCHEMA", service)
		q := u.Query()
		q.Set("search_path", schema) // pgx sends it as a run-time parameter
		u.RawQuery = q.Encode()
		return Database{Driver: "pgx", DSN: u.String(), Schema: schema}, nil
	case raw != "":
		return Database{Driver: "sqlite", DSN: raw}, nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return Database{}, err
	}
	// WAL and a busy timeout let concurrent requests share the file.
	dsn := "file:" + filepath.Join(dataDir, service+".db") +
		"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	return Database{Driver: "sqlite", DSN: dsn}, nil
}

func init() {
	// SQLite has no pg_sleep: give it one, so that the slow-query fault
	// switch can use the same SQL on both databases. It blocks the query
	// for the given number of seconds and returns a non-NULL value, as
	// PostgreSQL's does (its void). Given a SleepArg, it also stops when
	// the query's context ends, as PostgreSQL's does when pgx cancels the
	// query: a canceled request leaves no work running behind it.
	sqlite.MustRegisterScalarFunction("pg_sleep", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var secs float64
		var done <-chan struct{}
		switch v := args[0].(type) {
		case float64:
			secs = v
		case int64:
			secs = float64(v)
		case string:
			if s, ok := sleepers.get(v); ok {
				secs, done = s.secs, s.done
			}
		}
		t := time.NewTimer(time.Duration(secs * float64(time.Second)))
		defer t.Stop()
		select {
		case <-t.C:
			return int64(1), nil
		case <-done:
			return nil, context.Canceled
		}
	})
}

// SleepArg returns the argument of pg_sleep for the slow-query fault
// switch: a sleep of d that ends with ctx. For PostgreSQL that is the
// seconds (pgx cancels the query with ctx); for SQLite, a key to d and
// ctx for the pg_sleep above. Call release once the query is done.
func (db Database) SleepArg(ctx context.Context, d time.Duration) (arg any, release func()) {
	if db.Driver != "sqlite" {
		return d.Seconds(), func() {}
	}
	key := sleepers.add(sleep{secs: d.Seconds(), done: ctx.Done()})
	return key, func() { sleepers.remove(key) }
}

// sleep is a pg_sleep of SQLite in progress.
type sleep struct {
	secs float64
	done <-chan struct{}
}

// sleepers are the sleeps that SleepArg made, by key.
var sleepers = sleepRegistry{m: map[string]sleep{}}

type sleepRegistry struct {
	mu   sync.Mutex
	next int
	m    map[string]sleep
}

func (r *sleepRegistry) add(s sleep) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	key := "sleep-" + strconv.Itoa(r.next)
	r.m[key] = s
	return key
}

func (r *sleepRegistry) get(key string) (sleep, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.m[key]
	return s, ok
}

func (r *sleepRegistry) remove(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, key)
}
