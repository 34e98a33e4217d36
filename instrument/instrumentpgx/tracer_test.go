package instrumentpgx_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentpgx"
	"github.com/failhop/failhop/instrument/internal/spantest"
	"github.com/failhop/failhop/internal/devstack/testserver"
	"github.com/failhop/failhop/vocab"
)

// TestQuerySpans: a query, an exec and a row read are client spans with
// the database conventions' attributes, the connection's among them; a
// statement with arguments keeps its text, one without has its literals
// replaced. pgx's own preparation of a statement makes no span.
func TestQuerySpans(t *testing.T) {
	cfg, err := pgx.ParseConfig(testserver.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	conn := map[string]string{
		"db.system.name": "postgresql", "server.address": cfg.Host,
		"server.port": strconv.Itoa(int(cfg.Port)), "db.namespace": cfg.Database,
	}
	forEach(t, func(t *testing.T, d db, rec *spantest.Recorder) {
		ctx := context.Background()
		var name string
		if err := d.QueryRow(ctx, "SELECT name FROM "+table+" WHERE id = $1", 1).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, "UPDATE "+table+" SET name = 'quince' WHERE id = 2"); err != nil {
			t.Fatal(err)
		}
		spans := rec.Ended()
		if len(spans) != 2 {
			t.Errorf("want 2 spans (no prepare spans), got %d", len(spans))
		}
		s := spantest.Check(t, spans, spantest.Want{Name: "SELECT " + table, Status: codes.Unset, Attrs: with(conn, map[string]string{
			"db.operation.name": "SELECT", "db.query.summary": "SELECT " + table,
			"db.query.text": "SELECT name FROM " + table + " WHERE id = $1",
		})})
		spantest.Check(t, spans, spantest.Want{Name: "UPDATE " + table, Status: codes.Unset, NotInText: []string{"quince"}, Attrs: with(conn, map[string]string{
			"db.operation.name": "UPDATE", "db.query.text": "UPDATE " + table + " SET name = ? WHERE id = ?",
		})})
		if got := s.InstrumentationScope().Name; got != "github.com/failhop/failhop/instrument/instrumentpgx" {
			t.Errorf("scope %q", got)
		}
	})
}

func with(base, extra map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// TestErrors: what the database refuses is the origin, db_error with
// its SQLSTATE, with no literal of the statement anywhere; no rows is no
// failure; a deadline is a timeout; a caller who gave up is canceled,
// not an error.
func TestErrors(t *testing.T) {
	forEach(t, func(t *testing.T, d db, rec *spantest.Recorder) {
		ctx := context.Background()
		_, err := d.Exec(ctx, "SELECT * FROM nope WHERE name = 'secret-literal'")
		wantErr(t, err)
		_, err = d.Exec(ctx, "SELEC name FROM "+table+" WHERE name = 'other-literal'")
		wantErr(t, err)
		_, err = d.Exec(ctx, "INSERT INTO "+table+" (id, name) VALUES ($1, $2)", 3, "apple")
		wantErr(t, err)
		var name string
		if err := d.QueryRow(ctx, "SELECT name FROM "+table+" WHERE id = $1", 42).Scan(&name); !errors.Is(err, pgx.ErrNoRows) {
			t.Fatalf("no rows: err = %v", err)
		}
		spans := rec.Ended()
		spantest.Check(t, spans, spantest.Want{Name: "SELECT nope", Status: codes.Error, Cause: "db_error", NotInText: []string{"secret-literal"},
			Attrs: map[string]string{"db.response.status_code": "42P01", "error.type": "42P01"}})
		spantest.Check(t, spans, spantest.Want{Name: "postgresql", Status: codes.Error, Cause: "db_error", NotInText: []string{"other-literal"},
			Attrs: map[string]string{"db.response.status_code": "42601"}})
		spantest.Check(t, spans, spantest.Want{Name: "INSERT " + table, Status: codes.Error, Cause: "db_error",
			Attrs: map[string]string{"db.response.status_code": "23505"}})
		spantest.Check(t, spans, spantest.Want{Name: "SELECT " + table, Status: codes.Unset})
	})
}

func wantErr(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("the statement succeeded")
	}
}

func TestTimeout(t *testing.T) {
	forEach(t, func(t *testing.T, d db, rec *spantest.Recorder) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := d.Exec(ctx, "SELECT pg_sleep(10)")
		wantErr(t, err)
		spantest.Check(t, rec.Ended(), spantest.Want{Name: "SELECT", Status: codes.Error, Cause: "timeout"})
	})
}

func TestCanceled(t *testing.T) {
	forEach(t, func(t *testing.T, d db, rec *spantest.Recorder) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		rows, err := d.Query(ctx, "SELECT pg_sleep(10)")
		if err == nil {
			for rows.Next() {
			}
			rows.Close()
			err = rows.Err()
		}
		wantErr(t, err)
		spantest.Check(t, rec.Ended(), spantest.Want{Name: "SELECT", Status: codes.Unset, Cause: "canceled"})
	})
}

// TestBatch: a batch is a span with its queries as children; the query
// the database refused is the origin and the batch passed it on.
func TestBatch(t *testing.T) {
	forEach(t, func(t *testing.T, d db, rec *spantest.Recorder) {
		ctx := context.Background()
		b := &pgx.Batch{}
		b.Queue("SELECT name FROM "+table+" WHERE id = $1", 1)
		b.Queue("UPDATE " + table + " SET name = 'batch-literal' WHERE id = 2")
		if err := d.SendBatch(ctx, b).Close(); err != nil {
			t.Fatal(err)
		}
		spans := rec.Ended()
		batch := spantest.Check(t, spans, spantest.Want{Name: "BATCH", Status: codes.Unset, Attrs: map[string]string{
			"db.operation.name": "BATCH", "db.operation.batch.size": "2", "db.system.name": "postgresql",
		}})
		for _, name := range []string{"SELECT " + table, "UPDATE " + table} {
			s := spantest.Check(t, spans, spantest.Want{Name: name, Status: codes.Unset, NotInText: []string{"batch-literal"}})
			if s.Parent().SpanID() != batch.SpanContext().SpanID() {
				t.Errorf("span %q is not a child of the batch", name)
			}
		}

		// The database refuses the second query as it runs it.
		rec.Reset()
		b = &pgx.Batch{}
		b.Queue("SELECT count(*) FROM pg_class")
		b.Queue("SELECT 'batch-secret' || 1 / (id - 1) FROM " + table + " WHERE id = 1")
		b.Queue("SELECT 1")
		wantErr(t, d.SendBatch(ctx, b).Close())
		spans = rec.Ended()
		spantest.Check(t, spans, spantest.Want{Name: "SELECT pg_class", Status: codes.Unset})
		origin := spantest.Check(t, spans, spantest.Want{Name: "SELECT " + table, Status: codes.Error, Cause: "db_error",
			NotInText: []string{"batch-secret"}, Attrs: map[string]string{"db.response.status_code": "22012"}})
		batch = spantest.Check(t, spans, spantest.Want{Name: "BATCH", Status: codes.Error, Cause: "db_error", Propagated: true,
			NotInText: []string{"batch-secret"}, Attrs: map[string]string{"db.response.status_code": "22012"}})
		if got := spantest.Attrs(batch)[vocab.KeyOriginSpanID]; got != origin.SpanContext().SpanID().String() {
			t.Errorf("batch: origin span %q, want the failed query's %s", got, origin.SpanContext().SpanID())
		}

		// pgx prepares the statements of a batch before it sends them: a
		// statement the database cannot prepare fails the batch itself.
		rec.Reset()
		b = &pgx.Batch{}
		b.Queue("SELECT name FROM "+table+" WHERE id = $1", 1)
		b.Queue("SELECT missing FROM nope WHERE name = 'batch-secret'")
		wantErr(t, d.SendBatch(ctx, b).Close())
		spantest.Check(t, rec.Ended(), spantest.Want{Name: "BATCH", Status: codes.Error, Cause: "db_error",
			NotInText: []string{"batch-secret"}, Attrs: map[string]string{"db.response.status_code": "42P01"}})
	})
}

// TestPrepare: an explicit Prepare is a span; a statement run by the name
// given to Prepare is named and recorded as the statement.
func TestPrepare(t *testing.T) {
	cfg, err := pgx.ParseConfig(testserver.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := spantest.NewRecorder(t)
	cfg.Tracer = instrumentpgx.NewTracer(instrument.WithTracerProvider(rec.TP))
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	setup(t, conn)
	rec.Reset()
	ctx := context.Background()
	if _, err := conn.Prepare(ctx, "item_name", "SELECT name FROM "+table+" WHERE id = $1"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := conn.QueryRow(ctx, "item_name", 1).Scan(&name); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Prepare(ctx, "bad", "SELECT nothing FROM nope WHERE name = 'prepare-secret'")
	wantErr(t, err)
	spans := rec.Ended()
	spantest.Check(t, spans, spantest.Want{Name: "prepare SELECT " + table, Status: codes.Unset, Attrs: map[string]string{
		"db.operation.name": "prepare", "db.query.text": "SELECT name FROM " + table + " WHERE id = $1",
	}})
	spantest.Check(t, spans, spantest.Want{Name: "SELECT " + table, Status: codes.Unset, Attrs: map[string]string{
		"db.query.text": "SELECT name FROM " + table + " WHERE id = $1",
	}})
	spantest.Check(t, spans, spantest.Want{Name: "prepare SELECT nope", Status: codes.Error, Cause: "db_error", NotInText: []string{"prepare-secret"},
		Attrs: map[string]string{"db.response.status_code": "42P01"}})
}

// TestConnectFailures: a connection that cannot be made, to a closed port
// or with a wrong password, is a connect span, the origin with cause
// db_unavailable; no password is recorded.
func TestConnectFailures(t *testing.T) {
	dsn := testserver.PostgresDSN(t)
	cases := map[string]struct {
		dsn, code string
	}{
		"closed port":    {regexpHost(dsn, "127.0.0.1:1") + "&connect_timeout=5", ""},
		"wrong password": {strings.Replace(dsn, secret, "wrong-"+secret, 1), "28P01"},
	}
	for name, tc := range cases {
		for _, o := range openers {
			t.Run(name+"/"+o.name, func(t *testing.T) {
				rec := spantest.NewRecorder(t)
				_, err := o.open(t, tc.dsn, instrumentpgx.NewTracer(instrument.WithTracerProvider(rec.TP)))
				wantErr(t, err)
				a := map[string]string{"db.system.name": "postgresql", "db.operation.name": "connect", "server.address": ""}
				if tc.code != "" {
					a["db.response.status_code"] = tc.code
				}
				spans := rec.Ended()
				if len(spans) == 0 {
					t.Fatal("no span")
				}
				spantest.Check(t, spans[:1], spantest.Want{Name: "connect", Status: codes.Error, Cause: "db_unavailable", Attrs: a})
				noSecret(t, spans)
			})
		}
	}
}

// regexpHost returns dsn with its host and port replaced.
func regexpHost(dsn, hostPort string) string {
	at := strings.LastIndex(dsn, "@")
	slash := strings.Index(dsn[at:], "/")
	return dsn[:at+1] + hostPort + dsn[at+slash:]
}

// TestHandlerPropagation: a request that answers 500 after a failed query
// has a propagated server span whose origin is the query span.
func TestHandlerPropagation(t *testing.T) {
	forEach(t, func(t *testing.T, d db, rec *spantest.Recorder) {
		h := instrument.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var qty int
			err := d.QueryRow(r.Context(), "SELECT qty FROM "+table+" WHERE id = $1", 1).Scan(&qty)
			if err != nil {
				instrument.RecordError(r.Context(), err)
				http.Error(w, "no stock", http.StatusInternalServerError)
				return
			}
		}), "inventory", instrument.WithTracerProvider(rec.TP))
		srv := httptest.NewServer(h)
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/stock")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("status %d", resp.StatusCode)
		}
		spans := rec.Ended()
		query := spantest.Check(t, spans, spantest.Want{Name: "SELECT " + table, Status: codes.Error, Cause: "db_error",
			Attrs: map[string]string{"db.response.status_code": "42703"}})
		server := serverSpan(t, spans)
		a := spantest.Attrs(server)
		if a[vocab.KeyPropagated] != "true" || a[vocab.KeyCause] != "db_error" ||
			a[vocab.KeyOriginSpanID] != query.SpanContext().SpanID().String() {
			t.Errorf("server span marks %v, want propagated db_error from %s", a, query.SpanContext().SpanID())
		}
		if query.Parent().SpanID() != server.SpanContext().SpanID() {
			t.Errorf("the query span is not a child of the server span")
		}
	})
}

func serverSpan(t testing.TB, spans []sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, s := range spans {
		if s.SpanKind() == trace.SpanKindServer {
			return s
		}
	}
	t.Fatal("no server span")
	return nil
}

// TestPoolConnectUnderHandler: a pool that cannot connect fails the
// request at its connect span, a child of the request's server span,
// which is marked propagated from it.
func TestPoolConnectUnderHandler(t *testing.T) {
	rec := spantest.NewRecorder(t)
	cfg, err := pgxpool.ParseConfig(regexpHost(testserver.PostgresDSN(t), "127.0.0.1:1") + "&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = instrumentpgx.NewTracer(instrument.WithTracerProvider(rec.TP))
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	h := instrument.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := pool.Exec(r.Context(), "SELECT 1"); err != nil {
			instrument.RecordError(r.Context(), err)
			w.WriteHeader(http.StatusInternalServerError)
		}
	}), "inventory", instrument.WithTracerProvider(rec.TP))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	spans := rec.Ended()
	connect := spantest.Check(t, spans, spantest.Want{Name: "connect", Status: codes.Error, Cause: "db_unavailable"})
	a := spantest.Attrs(serverSpan(t, spans))
	if a[vocab.KeyPropagated] != "true" || a[vocab.KeyOriginSpanID] != connect.SpanContext().SpanID().String() {
		t.Errorf("server span marks %v, want propagated from the connect span %s", a, connect.SpanContext().SpanID())
	}
}
