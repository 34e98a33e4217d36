package instrument

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// TestDBSpansStatement: a statement's span made through DBSpans is the
// span OpenDB makes (name, attributes, the literal sanitized in the text
// and in the error), in the adapter's scope, with the adapter's own
// attributes after.
func TestDBSpansStatement(t *testing.T) {
	rec := newRecorder(t)
	s := NewDBSpans("example.com/adapter", "postgresql", nil, rec.options()...)
	ctx := context.Background()
	query := "SELECT qty FROM stock WHERE item = 'secret-item'"
	_, span := s.StartSQL(ctx, query, false, time.Time{}, attribute.String("server.address", "db.internal"))
	s.EndSQL(ctx, span, query, sqlstateErr("42703"))

	got := rec.span(t, trace.SpanKindClient)
	a := attrs(got)
	if got.Name() != "SELECT stock" || got.InstrumentationScope().Name != "example.com/adapter" {
		t.Errorf("span %q in scope %q", got.Name(), got.InstrumentationScope().Name)
	}
	for k, v := range map[string]string{
		"db.system.name": "postgresql", "db.operation.name": "SELECT", "db.query.summary": "SELECT stock",
		"db.query.text": "SELECT qty FROM stock WHERE item = ?", "server.address": "db.internal",
		"db.response.status_code": "42703",
	} {
		if a[attribute.Key(k)].AsString() != v {
			t.Errorf("%s = %q, want %q", k, a[attribute.Key(k)].AsString(), v)
		}
	}
	checkMarks(t, got, marks{origin: true, cause: vocab.CauseDBError, errorType: "42703"})
	if got.Status().Code != codes.Error {
		t.Errorf("status %v, want Error", got.Status())
	}
}

// TestDBSpansConnect: a connection that cannot be made is db_unavailable,
// whatever the database answered; a caller who gave up is canceled, not
// an error.
func TestDBSpansConnect(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		err    error
		cause  vocab.Cause
		status codes.Code
	}{
		{"wrong password", context.Background(), sqlstateErr("28P01"), vocab.CauseDBUnavailable, codes.Error},
		{"too many connections", context.Background(), sqlstateErr("53300"), vocab.CauseResourceExhausted, codes.Error},
		{"caller gave up", canceled, context.Canceled, vocab.CauseCanceled, codes.Unset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			s := NewDBSpans("example.com/adapter", "postgresql", nil, rec.options()...)
			ctx, span := s.Start(tt.ctx, "connect", attribute.String("db.operation.name", "connect"))
			s.EndConnect(ctx, span, tt.err)
			got := rec.span(t, trace.SpanKindClient)
			if c := attrs(got)[vocab.KeyCause].AsString(); c != string(tt.cause) || got.Status().Code != tt.status {
				t.Errorf("cause %q status %v, want %q %v", c, got.Status().Code, tt.cause, tt.status)
			}
			if attrs(got)["db.system.name"].AsString() != "postgresql" {
				t.Errorf("no db.system.name: %v", attrs(got))
			}
		})
	}
}

// TestDBSpansFail: under a Handler, a failure an adapter classified
// itself makes its span the origin, and a span that only passed a
// child's failure on is propagated; the server span names the origin.
func TestDBSpansFail(t *testing.T) {
	rec := newRecorder(t)
	s := NewDBSpans("example.com/adapter", "redis", nil, rec.options()...)
	var origin trace.SpanID
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, batch := s.Start(r.Context(), "PIPELINE")
		_, cmd := s.Start(ctx, "HGET")
		err := errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")
		s.Fail(ctx, cmd, err, DBFailure{Cause: vocab.CauseDBError, Code: "WRONGTYPE", Message: err.Error()})
		cmd.End()
		origin = cmd.SpanContext().SpanID()
		s.Fail(ctx, batch, err, DBFailure{Cause: vocab.CauseDBError, Code: "WRONGTYPE", Message: err.Error(), Origin: origin})
		batch.End()
		w.WriteHeader(http.StatusInternalServerError)
	}), "svc", rec.options()...)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))

	byName := map[string]spanView{}
	for _, sp := range rec.Ended() {
		byName[sp.Name()] = spanView{sp.Status().Code, sp.Status().Description}
		switch sp.Name() {
		case "HGET":
			checkMarks(t, sp, marks{origin: true, cause: vocab.CauseDBError, errorType: "WRONGTYPE"})
		case "PIPELINE":
			checkMarks(t, sp, marks{propagated: true, cause: vocab.CauseDBError, originSpanID: origin.String(), errorType: "WRONGTYPE"})
		}
	}
	for _, name := range []string{"HGET", "PIPELINE"} {
		if v := byName[name]; v.code != codes.Error || !strings.HasPrefix(v.desc, "WRONGTYPE") {
			t.Errorf("span %s status %v %q, want Error WRONGTYPE...", name, v.code, v.desc)
		}
	}
	checkMarks(t, rec.span(t, trace.SpanKindServer), marks{propagated: true, cause: vocab.CauseDBError, originSpanID: origin.String(), errorType: "500"})
}

type spanView struct {
	code codes.Code
	desc string
}

func TestSanitizeSQL(t *testing.T) {
	for in, want := range map[string]string{
		`ERR unknown command 'SETX', with args beginning with: 'k' 'secret'`: `ERR unknown command ?, with args beginning with: ? ?`,
		`near "secret": syntax error`:                                        `near ?: syntax error`,
		`WHERE pin = 1234 -- and a comment`:                                  `WHERE pin = ?`,
		`WRONGTYPE Operation against a key holding the wrong kind of value`:  `WRONGTYPE Operation against a key holding the wrong kind of value`,
	} {
		if got := SanitizeSQL(in); got != want {
			t.Errorf("SanitizeSQL(%q) = %q, want %q", in, got, want)
		}
	}
}
