package integration

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/internal/devstack/testserver"
	"github.com/failhop/failhop/vocab"
)

// postgresDSN returns the DSN of the test PostgreSQL server, or skips the
// test when there is none (fails under CI, where there must be one).
func postgresDSN(t *testing.T) string {
	t.Helper()
	return testserver.PostgresDSN(t)
}

// backend is a real database the tests run against.
type backend struct {
	name   string
	driver string
	system string
	dsn    func(t *testing.T) string
	secret string // a password in the DSN, which must never be recorded
	sleep  string // a statement that runs for about 2 seconds, or forever
	// sleepSpan is the span name of sleep: its query summary.
	sleepSpan string
	codes     map[string]string
}

var backends = []backend{
	{
		name:   "sqlite",
		driver: "sqlite",
		system: "sqlite",
		dsn: func(t *testing.T) string {
			return "file:" + filepath.Join(t.TempDir(), "test.db") + "?_pragma=busy_timeout(1000)"
		},
		sleep:     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
		sleepSpan: "SELECT SELECT c SELECT c",
		codes:     map[string]string{"missing": "1", "syntax": "1", "unique": "2067"},
	},
	{
		name:      "postgresql",
		driver:    "pgx",
		system:    "postgresql",
		dsn:       postgresDSN,
		secret:    "failhop-secret",
		sleep:     "SELECT pg_sleep(2)",
		sleepSpan: "SELECT",
		codes:     map[string]string{"missing": "42P01", "syntax": "42601", "unique": "23505"},
	},
}

// open opens b's database through instrument.OpenDB, recording spans.
func open(t *testing.T, b backend) (*sql.DB, *tracetest.SpanRecorder) {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	db, err := instrument.OpenDB(b.driver, b.dsn(t), instrument.WithTracerProvider(tp))
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	for _, q := range []string{
		"DROP TABLE IF EXISTS items",
		"CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)",
		"INSERT INTO items (id, name) VALUES (1, 'apple'), (2, 'pear')",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sr.Reset()
	return db, sr
}

// attrs returns the attributes of s as a map of strings.
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]string {
	m := map[attribute.Key]string{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value.String()
	}
	return m
}

// want says what the span of an operation must carry.
type want struct {
	name   string            // span name
	attrs  map[string]string // attributes that must be there, "" for "any value"
	absent []string          // attributes that must not be there
	status codes.Code
	cause  string // failhop.cause, "" for no marks at all
	// notInText are literals of the statement that neither db.query.text
	// nor the error (status, exception) may hold.
	notInText []string
}

// check finds the span named w.name among spans and checks it.
func check(t *testing.T, spans []sdktrace.ReadOnlySpan, w want) {
	t.Helper()
	var s sdktrace.ReadOnlySpan
	var names []string
	for _, sp := range spans {
		names = append(names, sp.Name())
		if sp.Name() == w.name {
			s = sp
		}
	}
	if s == nil {
		t.Fatalf("no span named %q among %q", w.name, names)
	}
	if s.SpanKind() != trace.SpanKindClient {
		t.Errorf("span %q: kind %v, want client", w.name, s.SpanKind())
	}
	a := attrs(s)
	for k, v := range w.attrs {
		got, ok := a[attribute.Key(k)]
		if !ok {
			t.Errorf("span %q: no attribute %s (has %v)", w.name, k, a)
		} else if v != "" && got != v {
			t.Errorf("span %q: %s = %q, want %q", w.name, k, got, v)
		}
	}
	for _, k := range w.absent {
		if v, ok := a[attribute.Key(k)]; ok {
			t.Errorf("span %q: unexpected attribute %s = %q", w.name, k, v)
		}
	}
	if s.Status().Code != w.status {
		t.Errorf("span %q: status %v %q, want %v", w.name, s.Status().Code, s.Status().Description, w.status)
	}
	if w.status == codes.Error && s.Status().Description == "" {
		t.Errorf("span %q: Error status without a message", w.name)
	}
	if w.cause == "" {
		for _, k := range []attribute.Key{vocab.KeyOrigin, vocab.KeyCause, "error.type"} {
			if v, ok := a[k]; ok {
				t.Errorf("span %q: unexpected %s = %q", w.name, k, v)
			}
		}
	} else {
		if a[vocab.KeyOrigin] != "true" || a[vocab.KeyCause] != w.cause {
			t.Errorf("span %q: marks origin=%q cause=%q, want origin=true cause=%q",
				w.name, a[vocab.KeyOrigin], a[vocab.KeyCause], w.cause)
		}
	}
	for _, lit := range w.notInText {
		texts := []string{a["db.query.text"], s.Status().Description}
		for _, e := range s.Events() {
			for _, kv := range e.Attributes {
				texts = append(texts, kv.Value.String())
			}
		}
		for _, text := range texts {
			if strings.Contains(text, lit) {
				t.Errorf("span %q: %q holds the literal %q", w.name, text, lit)
			}
		}
	}
}

// noSecret checks that no span records the password of the DSN.
func noSecret(t *testing.T, spans []sdktrace.ReadOnlySpan, secret string) {
	t.Helper()
	if secret == "" {
		return
	}
	for _, s := range spans {
		texts := []string{s.Name(), s.Status().Description}
		for _, kv := range s.Attributes() {
			texts = append(texts, kv.Value.String())
		}
		for _, e := range s.Events() {
			texts = append(texts, e.Name)
			for _, kv := range e.Attributes {
				texts = append(texts, kv.Value.String())
			}
		}
		for _, text := range texts {
			if strings.Contains(text, secret) {
				t.Errorf("span %q records the password: %q", s.Name(), text)
			}
		}
	}
}

func TestSQLSpans(t *testing.T) {
	type testCase struct {
		name string
		run  func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error
		want func(b backend) want
		err  bool // the operation is expected to fail
	}
	cases := []testCase{
		{
			name: "exec with args",
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				_, err := db.ExecContext(ctx, "INSERT INTO items (id, name) VALUES ($1, $2)", 3, "plum")
				return err
			},
			want: func(b backend) want {
				return want{name: "INSERT items", attrs: map[string]string{
					"db.system.name": b.system, "db.operation.name": "INSERT", "db.query.summary": "INSERT items",
					"db.query.text": "INSERT INTO items (id, name) VALUES ($1, $2)",
				}}
			},
		},
		{
			name: "query without args is sanitized",
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				rows, err := db.QueryContext(ctx, "SELECT name FROM items WHERE name <> 'secret-literal' AND id < 12345 ORDER BY id")
				if err != nil {
					return err
				}
				defer rows.Close()
				n := 0
				for rows.Next() {
					n++
				}
				if n != 2 {
					t.Errorf("read %d rows, want 2", n)
				}
				return rows.Err()
			},
			want: func(b backend) want {
				return want{name: "SELECT items", attrs: map[string]string{
					"db.operation.name": "SELECT",
					"db.query.text":     "SELECT name FROM items WHERE name <> ? AND id < ? ORDER BY id",
				}, notInText: []string{"secret-literal", "12345"}}
			},
		},
		{
			name: "no rows is not an error",
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				var name string
				err := db.QueryRowContext(ctx, "SELECT name FROM items WHERE id = $1", 99).Scan(&name)
				if !errors.Is(err, sql.ErrNoRows) {
					t.Errorf("got %v, want sql.ErrNoRows", err)
				}
				return nil
			},
			want: func(b backend) want { return want{name: "SELECT items"} },
		},
		{
			name: "missing table",
			err:  true,
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				_, err := db.ExecContext(ctx, "SELECT * FROM no_such_table")
				return err
			},
			want: func(b backend) want {
				return want{name: "SELECT no_such_table", status: codes.Error, cause: "db_error", attrs: map[string]string{
					"error.type": b.codes["missing"], "db.response.status_code": b.codes["missing"],
				}}
			},
		},
		{
			name: "syntax error",
			err:  true,
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				_, err := db.ExecContext(ctx, "SELEC name FROM items")
				return err
			},
			want: func(b backend) want {
				return want{name: b.system, status: codes.Error, cause: "db_error", attrs: map[string]string{
					"error.type": b.codes["syntax"], "db.response.status_code": b.codes["syntax"],
				}, absent: []string{"db.operation.name", "db.query.summary"}}
			},
		},
		{
			name: "the error of a statement with literals is sanitized",
			err:  true,
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				// Both databases quote the token near the error: the literal.
				_, err := db.QueryContext(ctx, "SELECT name FROM items WHERE name = 'secret-a' 'secret-b'")
				if err == nil || !strings.Contains(err.Error(), "secret-b") {
					t.Errorf("the caller's error %v should be the database's own", err)
				}
				return err
			},
			want: func(b backend) want {
				return want{name: "SELECT items", status: codes.Error, cause: "db_error", attrs: map[string]string{
					"error.type": b.codes["syntax"], "db.query.text": "SELECT name FROM items WHERE name = ? ?",
				}, notInText: []string{"secret-a", "secret-b"}}
			},
		},
		{
			name: "unique violation",
			err:  true,
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				_, err := db.ExecContext(ctx, "INSERT INTO items (id, name) VALUES ($1, $2)", 7, "apple")
				return err
			},
			want: func(b backend) want {
				return want{name: "INSERT items", status: codes.Error, cause: "db_error", attrs: map[string]string{
					"error.type": b.codes["unique"], "db.response.status_code": b.codes["unique"],
				}}
			},
		},
		{
			name: "context deadline",
			err:  true,
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
				return drain(db.QueryContext(ctx, b.sleep))
			},
			want: func(b backend) want {
				name := b.sleepSpan
				return want{name: name, status: codes.Error, cause: "timeout", attrs: map[string]string{"error.type": ""}}
			},
		},
		{
			name: "canceled context",
			err:  true,
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				ctx, cancel := context.WithCancel(ctx)
				time.AfterFunc(200*time.Millisecond, cancel)
				return drain(db.QueryContext(ctx, b.sleep))
			},
			want: func(b backend) want {
				name := b.sleepSpan
				// Not an error of the database: status Unset, no error.type,
				// but the marks say where the request stopped.
				return want{name: name, status: codes.Unset, cause: "canceled", absent: []string{"error.type"}}
			},
		},
		{
			name: "transaction",
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "UPDATE items SET name = $1 WHERE id = $2", "apricot", 1); err != nil {
					_ = tx.Rollback()
					return err
				}
				return tx.Commit()
			},
			want: func(b backend) want {
				return want{name: "commit", attrs: map[string]string{"db.operation.name": "commit", "db.system.name": b.system}}
			},
		},
		{
			name: "prepared statement",
			run: func(ctx context.Context, t *testing.T, db *sql.DB, b backend) error {
				st, err := db.PrepareContext(ctx, "DELETE FROM items WHERE id = $1")
				if err != nil {
					return err
				}
				defer st.Close()
				_, err = st.ExecContext(ctx, 2)
				return err
			},
			want: func(b backend) want {
				return want{name: "DELETE items", attrs: map[string]string{
					"db.query.text": "DELETE FROM items WHERE id = $1", "db.operation.name": "DELETE",
				}}
			},
		},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					db, sr := open(t, b)
					err := tc.run(context.Background(), t, db, b)
					if tc.err && err == nil {
						t.Fatal("the operation succeeded; want a failure")
					}
					if !tc.err && err != nil {
						t.Fatalf("the operation failed: %v", err)
					}
					spans := sr.Ended()
					check(t, spans, tc.want(b))
					noSecret(t, spans, b.secret)
				})
			}
			t.Run("begin and rollback", func(t *testing.T) {
				db, sr := open(t, b)
				tx, err := db.Begin()
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.Rollback(); err != nil {
					t.Fatal(err)
				}
				check(t, sr.Ended(), want{name: "begin", attrs: map[string]string{"db.operation.name": "begin"}})
				check(t, sr.Ended(), want{name: "rollback", attrs: map[string]string{"db.operation.name": "rollback"}})
			})
		})
	}
}

func TestPostgresStatementTimeout(t *testing.T) {
	b := backends[1]
	db, sr := open(t, b)
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "SET statement_timeout = 100"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, "SELECT pg_sleep(3)"); err == nil {
		t.Fatal("pg_sleep outlived statement_timeout")
	}
	check(t, sr.Ended(), want{name: "SELECT", status: codes.Error, cause: "timeout", attrs: map[string]string{
		"error.type": "57014", "db.response.status_code": "57014",
	}})
}

func TestPostgresErrorWhileReadingRows(t *testing.T) {
	b := backends[1]
	db, sr := open(t, b)
	rows, err := db.QueryContext(context.Background(), "SELECT 10 / (3 - x) FROM generate_series(1, 5) AS x")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		_ = rows.Close()
	}
	if err == nil {
		t.Fatal("division by zero went unnoticed")
	}
	check(t, sr.Ended(), want{name: "SELECT generate_series", status: codes.Error, cause: "db_error", attrs: map[string]string{
		"error.type": "22012",
	}})
}

func TestPostgresServerDown(t *testing.T) {
	postgresDSN(t) // the test is about PostgreSQL; it needs no server, but run it with the others
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	// Port 1 on the loopback: nothing listens there.
	dsn := "postgres://failhop:failhop-secret@127.0.0.1:1/failhop?sslmode=disable&connect_timeout=5"
	db, err := instrument.OpenDB("pgx", dsn, instrument.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PingContext(context.Background()); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}
	spans := sr.Ended()
	check(t, spans, want{name: "connect", status: codes.Error, cause: "db_unavailable", attrs: map[string]string{
		"db.system.name": "postgresql", "db.operation.name": "connect", "error.type": "",
	}})
	noSecret(t, spans, "failhop-secret")
}

// TestPostgresWrongPassword: a connection refused for its credentials
// cannot be made, as one to a closed port cannot: db_unavailable, with
// the SQLSTATE the server gave; neither password is recorded.
func TestPostgresWrongPassword(t *testing.T) {
	dsn := strings.Replace(postgresDSN(t), "failhop-secret", "wrong-secret", 1)
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	db, err := instrument.OpenDB("pgx", dsn, instrument.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PingContext(context.Background()); err == nil {
		t.Fatal("ping with a wrong password succeeded")
	}
	spans := sr.Ended()
	check(t, spans, want{name: "connect", status: codes.Error, cause: "db_unavailable", attrs: map[string]string{
		"db.operation.name": "connect", "db.response.status_code": "28P01", "error.type": "28P01",
	}})
	noSecret(t, spans, "failhop-secret")
	noSecret(t, spans, "wrong-secret")
}

// Drivers whose connections lack the fast path (ExecerContext and
// QueryerContext), or take it only to answer driver.ErrSkip: database/sql
// must fall back on preparing the statement, and the trace must show the
// prepared statement, with no failed span for the skipped fast path.
type (
	prepareOnlyConnector struct {
		driver.Connector
		skip bool
	}
	prepareOnlyConn struct{ driver.Conn }
	skippingConn    struct{ driver.Conn }
)

func (c prepareOnlyConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if c.skip {
		return skippingConn{conn}, nil
	}
	return prepareOnlyConn{conn}, nil
}

func (skippingConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return nil, driver.ErrSkip
}

func (skippingConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return nil, driver.ErrSkip
}

// dsnConnector connects through a driver without a connector of its own.
type dsnConnector struct {
	d   driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }

func TestFallbackToPrepare(t *testing.T) {
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("skip=%v", skip), func(t *testing.T) {
			raw, err := sql.Open("sqlite", "")
			if err != nil {
				t.Fatal(err)
			}
			c := dsnConnector{d: raw.Driver(), dsn: "file:" + filepath.Join(t.TempDir(), "t.db")}
			_ = raw.Close()
			sr := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
			db := sql.OpenDB(instrument.WrapConnector(prepareOnlyConnector{c, skip},
				instrument.WithTracerProvider(tp), instrument.WithDBSystem("sqlite")))
			defer db.Close()
			ctx := context.Background()
			if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER)"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES ($1)", 1); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE id = $1", 1).Scan(&n); err != nil || n != 1 {
				t.Fatalf("count = %d, %v", n, err)
			}
			spans := sr.Ended()
			counts := map[string]int{}
			for _, s := range spans {
				counts[s.Name()]++
				if s.Status().Code != codes.Unset {
					t.Errorf("span %q has status %v %q", s.Name(), s.Status().Code, s.Status().Description)
				}
			}
			for name, want := range map[string]int{
				"prepare INSERT t": 1, "INSERT t": 1, "prepare SELECT t": 1, "SELECT t": 1,
			} {
				if counts[name] != want {
					t.Errorf("%d spans named %q, want %d (all: %v)", counts[name], name, want, counts)
				}
			}
		})
	}
}

// drain reads every row of a query and returns the first error.
func drain(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}
