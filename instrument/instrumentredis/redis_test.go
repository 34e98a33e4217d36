package instrumentredis_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentredis"
	"github.com/failhop/failhop/instrument/internal/spantest"
	"github.com/failhop/failhop/internal/devstack/testserver"
	"github.com/failhop/failhop/vocab"
)

// testDB is the database index the tests use, apart from other tests
// that share the server.
const testDB = 1

// client returns an instrumented client of the test server's database
// testDB, emptied, and the recorder of its spans.
func client(t testing.TB) (*redis.Client, *spantest.Recorder) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: testserver.RedisAddr(t), DB: testDB, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return rdb, instrumented(t, rdb)
}

func instrumented(t testing.TB, rdb redis.UniversalClient) *spantest.Recorder {
	t.Helper()
	rec := spantest.NewRecorder(t)
	if err := instrumentredis.Instrument(rdb, instrument.WithTracerProvider(rec.TP)); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestCommandSpans: each command is a client span named after it, with
// the conventions' attributes and its shape as db.query.text; a missing
// key (redis.Nil) is no failure.
func TestCommandSpans(t *testing.T) {
	rdb, rec := client(t)
	ctx := context.Background()
	if err := rdb.Set(ctx, "user:42", "Ada Lovelace", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got := rdb.Get(ctx, "user:42").Val(); got != "Ada Lovelace" {
		t.Fatalf("GET = %q", got)
	}
	if err := rdb.HSet(ctx, "cart:7:items", "sku-secret-9", 3).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Get(ctx, "user:43").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET of a missing key: %v", err)
	}
	spans := rec.Ended()
	host, port, _ := strings.Cut(testserver.RedisAddr(t), ":")
	s := spantest.Check(t, spans, spantest.Want{Name: "SET", Status: codes.Unset, Attrs: map[string]string{
		"db.system.name": "redis", "db.operation.name": "SET", "db.query.text": "SET user:? ? ? ?",
		"server.address": host, "server.port": port, "db.namespace": "1",
	}})
	spantest.Check(t, spans, spantest.Want{Name: "HSET", Status: codes.Unset, Attrs: map[string]string{"db.query.text": "HSET cart:?:items ? ?"}})
	for _, sp := range spans {
		if sp.Name() == "GET" {
			spantest.Check(t, []sdktrace.ReadOnlySpan{sp}, spantest.Want{Name: "GET", Status: codes.Unset, Attrs: map[string]string{"db.query.text": "GET user:?"}})
		}
	}
	if got := s.InstrumentationScope().Name; got != "github.com/failhop/failhop/instrument/instrumentredis" {
		t.Errorf("scope %q", got)
	}
	spantest.NoValues(t, spans, "Ada", "sku-secret-9", "42")
}

// TestErrorReplies: an error reply is the origin, db_error, with its
// prefix as db.response.status_code and error.type; the arguments Redis
// quotes back and a script's own message are not recorded.
func TestErrorReplies(t *testing.T) {
	rdb, rec := client(t)
	ctx := context.Background()
	if err := rdb.Set(ctx, "user:1", "plain-secret-value", 0).Err(); err != nil {
		t.Fatal(err)
	}
	rec.Reset()
	wantErr(t, rdb.LPush(ctx, "user:1", "pushed-secret-value").Err())
	wantErr(t, rdb.Do(ctx, "SETX", "user:1", "unknown-secret-value").Err())
	wantErr(t, rdb.Eval(ctx, "return redis.error_reply('ERR script-secret-value')", []string{"lock:a"}).Err())
	wantErr(t, rdb.Do(ctx, "AUTH", "password-secret-value").Err())
	spans := rec.Ended()
	s := spantest.Check(t, spans, spantest.Want{Name: "LPUSH", Status: codes.Error, Cause: "db_error", Attrs: map[string]string{
		"db.response.status_code": "WRONGTYPE", "error.type": "WRONGTYPE", "db.query.text": "LPUSH user:? ?",
	}})
	if !strings.HasPrefix(s.Status().Description, "WRONGTYPE Operation against a key holding the wrong kind of value") {
		t.Errorf("status %q", s.Status().Description)
	}
	spantest.Check(t, spans, spantest.Want{Name: "SETX", Status: codes.Error, Cause: "db_error", Attrs: map[string]string{
		"db.response.status_code": "ERR", "db.query.text": "SETX ? ?",
	}})
	spantest.Check(t, spans, spantest.Want{Name: "EVAL", Status: codes.Error, Cause: "db_error", Attrs: map[string]string{
		"db.response.status_code": "ERR", "db.query.text": "EVAL ? ? ?",
	}})
	spantest.Check(t, spans, spantest.Want{Name: "AUTH", Status: codes.Error, Cause: "db_error", Attrs: map[string]string{"db.query.text": "AUTH ?"}})
	spantest.NoValues(t, spans, "secret-value")
}

func wantErr(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("the command succeeded")
	}
}

// TestPipelines: a pipeline is one span named after its commands; a
// missing key in it is no failure, an error reply is.
func TestPipelines(t *testing.T) {
	rdb, rec := client(t)
	ctx := context.Background()
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "user:1", "pipelined-secret-value", 0)
		p.Get(ctx, "user:1")
		p.Get(ctx, "user:2") // redis.Nil
		return nil
	})
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("pipeline: %v", err)
	}
	_, err = rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "visits:today")
		p.Expire(ctx, "visits:today", time.Hour)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "user:1")
		p.HGet(ctx, "user:1", "name")
		return nil
	})
	wantErr(t, err)
	spans := rec.Ended()
	spantest.Check(t, spans, spantest.Want{Name: "PIPELINE SET GET", Status: codes.Unset, Attrs: map[string]string{
		"db.system.name": "redis", "db.operation.name": "PIPELINE", "db.query.summary": "PIPELINE SET GET",
		"db.operation.batch.size": "3", "db.query.text": "SET user:? ?\nGET user:?\nGET user:?",
	}})
	spantest.Check(t, spans, spantest.Want{Name: "MULTI INCR EXPIRE", Status: codes.Unset, Attrs: map[string]string{
		"db.operation.name": "MULTI", "db.operation.batch.size": "2", "db.query.text": "INCR visits:today\nEXPIRE visits:today ?",
	}})
	spantest.Check(t, spans, spantest.Want{Name: "PIPELINE GET HGET", Status: codes.Error, Cause: "db_error", Attrs: map[string]string{
		"db.response.status_code": "WRONGTYPE",
	}})
	spantest.NoValues(t, spans, "pipelined-secret-value")
}

// TestUnreachable: a server that cannot be reached fails the command,
// the origin with cause db_unavailable.
func TestUnreachable(t *testing.T) {
	testserver.RedisAddr(t) // with the others: the test needs no server
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialerRetries: 1, MaxRetries: -1})
	defer rdb.Close()
	rec := instrumented(t, rdb)
	wantErr(t, rdb.Get(context.Background(), "user:1").Err())
	spantest.Check(t, rec.Ended(), spantest.Want{Name: "GET", Status: codes.Error, Cause: "db_unavailable", Attrs: map[string]string{
		"server.address": "127.0.0.1", "server.port": "1",
	}})
}

// TestTimeoutAndCancel: a deadline is a timeout; a caller who gave up is
// canceled, with no Error status.
func TestTimeoutAndCancel(t *testing.T) {
	rdb, rec := client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	wantErr(t, rdb.BLPop(ctx, 5*time.Second, "queue:jobs").Err())
	spantest.Check(t, rec.Ended(), spantest.Want{Name: "BLPOP", Status: codes.Error, Cause: "timeout"})

	// go-redis does not stop a command in flight when its context is
	// canceled (only a deadline reaches the connection): it refuses to
	// start one.
	rec.Reset()
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	wantErr(t, rdb.Get(ctx, "user:1").Err())
	spantest.Check(t, rec.Ended(), spantest.Want{Name: "GET", Status: codes.Unset, Cause: "canceled"})
}

// TestHandlerPropagation: a request that answers 500 after a failed
// command has a propagated server span whose origin is the command's span.
func TestHandlerPropagation(t *testing.T) {
	rdb, rec := client(t)
	ctx := context.Background()
	if err := rdb.Set(ctx, "cart:7", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	rec.Reset()
	h := instrument.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := rdb.HGetAll(r.Context(), "cart:7").Err(); err != nil {
			instrument.RecordError(r.Context(), err)
			w.WriteHeader(http.StatusInternalServerError)
		}
	}), "cart", instrument.WithTracerProvider(rec.TP))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/cart", nil))
	spans := rec.Ended()
	cmd := spantest.Check(t, spans, spantest.Want{Name: "HGETALL", Status: codes.Error, Cause: "db_error"})
	for _, s := range spans {
		if s.SpanKind() != trace.SpanKindServer {
			continue
		}
		a := spantest.Attrs(s)
		if a[vocab.KeyPropagated] != "true" || a[vocab.KeyOriginSpanID] != cmd.SpanContext().SpanID().String() {
			t.Errorf("server span marks %v, want propagated from %s", a, cmd.SpanContext().SpanID())
		}
		if cmd.Parent().SpanID() != s.SpanContext().SpanID() {
			t.Error("the command span is not a child of the server span")
		}
		return
	}
	t.Fatal("no server span")
}

func TestInstrumentNil(t *testing.T) {
	var c *redis.Client
	if err := instrumentredis.Instrument(c); err == nil {
		t.Error("Instrument(nil *redis.Client) succeeded")
	}
	if err := instrumentredis.Instrument(nil); err == nil {
		t.Error("Instrument(nil) succeeded")
	}
}

// TestHandshake: the handshake of a new connection is spans under the
// command that needed it, and the replies go-redis expects and ignores
// (this server knows no CLIENT MAINT_NOTIFICATIONS) are no failures.
func TestHandshake(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: testserver.RedisAddr(t), DB: testDB})
	defer rdb.Close()
	rec := instrumented(t, rdb)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	ping := spantest.Check(t, spans, spantest.Want{Name: "PING", Status: codes.Unset})
	if len(spans) < 2 {
		t.Errorf("want the handshake's spans beside PING, got %d spans", len(spans))
	}
	for _, s := range spans {
		if s != ping && s.Parent().SpanID() != ping.SpanContext().SpanID() {
			t.Errorf("span %q is not under the command that needed the connection", s.Name())
		}
		if s.Status().Code != codes.Unset || spantest.Attrs(s)[vocab.KeyCause] != "" {
			t.Errorf("handshake span %q failed: %v %v", s.Name(), s.Status(), spantest.Attrs(s))
		}
	}
}

// TestDialUnderSpan: a dial made within a traced context (a PubSub's) is
// a connect span under it; one that cannot be made is db_unavailable.
func TestDialUnderSpan(t *testing.T) {
	testserver.RedisAddr(t) // with the others: the test needs no server
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialerRetries: 1, MaxRetries: -1})
	defer rdb.Close()
	rec := instrumented(t, rdb)
	ctx, parent := rec.TP.Tracer("test").Start(context.Background(), "request")
	sub := rdb.Subscribe(ctx, "orders")
	_, err := sub.Receive(ctx)
	_ = sub.Close()
	parent.End()
	wantErr(t, err)
	// A connect span each attempt.
	var attempts int
	for _, s := range rec.Ended() {
		if s.Name() != "connect" {
			continue
		}
		attempts++
		spantest.Check(t, []sdktrace.ReadOnlySpan{s}, spantest.Want{Name: "connect", Status: codes.Error, Cause: "db_unavailable", Attrs: map[string]string{
			"db.system.name": "redis", "db.operation.name": "connect", "server.address": "127.0.0.1", "server.port": "1",
		}})
		if s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Error("the connect span is not under the span of its context")
		}
	}
	if attempts == 0 {
		t.Errorf("no connect span among %d", len(rec.Ended()))
	}
}
