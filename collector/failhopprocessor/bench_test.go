package failhopprocessor

import (
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/failhop/failhop/vocab"
)

// benchTraces is a batch of traces as tail sampling releases them: each
// trace is a request through gateway → orders → (inventory, payments),
// 20 spans with the usual HTTP and SQL attributes; failed ones end in a
// database error with an exception event and a stack.
func benchTraces(traces int, failed bool) ptrace.Traces {
	var all []tspan
	stack := strings.Repeat("main.handler(...)\n\t/app/handler.go:42 +0x1d\n", 20)
	for t := 0; t < traces; t++ {
		tr := fmt.Sprintf("t%d", t)
		st := unset
		if failed {
			st = errS
		}
		http := func(route string, code int) map[string]any {
			return map[string]any{
				"http.request.method": "GET", "http.route": route, "http.response.status_code": code,
				"url.path": route, "url.scheme": "http", "server.address": "orders", "server.port": 8080,
				"network.protocol.version": "1.1", "user_agent.original": "Go-http-client/1.1",
				"client.address": "10.0.0.7",
			}
		}
		code := 200
		if failed {
			code = 500
		}
		all = append(all,
			tspan{trace: tr, id: "root", svc: "gateway", name: "GET /checkout", kind: srv, end: 90, status: st, attrs: http("/checkout", code)},
			tspan{trace: tr, id: "gc", parent: "root", svc: "gateway", name: "GET", kind: cli, start: 1, end: 89, status: st, attrs: http("/orders", code)},
			tspan{trace: tr, id: "os", parent: "gc", svc: "orders", name: "GET /orders", kind: srv, start: 2, end: 88, status: st, attrs: http("/orders", code)},
		)
		for i := 0; i < 12; i++ {
			all = append(all, tspan{trace: tr, id: fmt.Sprintf("q%d", i), parent: "os", svc: "orders", name: "SELECT orders", kind: cli,
				start: 3 + i, end: 4 + i, attrs: map[string]any{"db.system.name": "postgresql", "db.operation.name": "SELECT", "db.query.text": "SELECT id, item, qty FROM orders WHERE id = $1"}})
		}
		all = append(all,
			tspan{trace: tr, id: "ic", parent: "os", svc: "orders", name: "GET", kind: cli, start: 20, end: 60, status: st, attrs: http("/stock", code)},
			tspan{trace: tr, id: "is", parent: "ic", svc: "inventory", name: "GET /stock", kind: srv, start: 21, end: 59, status: st, attrs: http("/stock", code)},
			tspan{trace: tr, id: "iq", parent: "is", svc: "inventory", name: "SELECT stock", kind: cli, start: 22, end: 25, status: st,
				attrs: map[string]any{"db.system.name": "sqlite", "db.operation.name": "SELECT", "db.query.text": "SELECT qty FROM stock WHERE item = ?"}},
			tspan{trace: tr, id: "pc", parent: "os", svc: "orders", name: "POST", kind: cli, start: 61, end: 80, attrs: http("/charge", 200)},
			tspan{trace: tr, id: "ps", parent: "pc", svc: "payments", name: "POST /charge", kind: srv, start: 62, end: 79, attrs: http("/charge", 200)},
		)
	}
	td := build(all...)
	if failed {
		forSpans(td, func(s ptrace.Span) {
			if s.SpanID() == spanID("iq") {
				s.Attributes().PutBool("failhop.origin", true)
				s.Attributes().PutStr("failhop.cause", "db_error")
				e := s.Events().AppendEmpty()
				e.SetName("exception")
				e.Attributes().PutStr("exception.type", "*sqlite.Error")
				e.Attributes().PutStr("exception.message", "no such table: stock")
				e.Attributes().PutStr("exception.stacktrace", stack)
			}
		})
	}
	return td
}

// BenchmarkProcessor measures Mark on a batch of 10 traces of 20 spans:
// all failed (what an error-only pipeline sees) or all healthy (the
// sampled share of successful requests: only the pre-filter runs).
func BenchmarkProcessor(b *testing.B) {
	for _, failed := range []bool{true, false} {
		name := "healthy"
		if failed {
			name = "failed"
		}
		b.Run(name, func(b *testing.B) {
			td := benchTraces(10, failed)
			want := 0
			if failed {
				want = 10
			}
			if got := Mark(td); got != want {
				b.Fatalf("marked %d traces, want %d", got, want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				Mark(td)
			}
			b.ReportMetric(float64(b.N)*float64(td.SpanCount())/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

// TestMarkLargeBatch marks a batch larger than an arena chunk, twice
// (marks are replaced, not added to).
func TestMarkLargeBatch(t *testing.T) {
	td := benchTraces(30, true) // 600 spans
	for range 2 {
		if got := Mark(td); got != 30 {
			t.Fatalf("marked %d traces, want 30", got)
		}
	}
	origins, roots := 0, 0
	forSpans(td, func(s ptrace.Span) {
		if v, ok := s.Attributes().Get(vocab.KeyRootCause); ok && v.Bool() {
			origins++
			if s.SpanID() != spanID("iq") {
				t.Errorf("span %s marked", s.Name())
			}
		}
		if _, ok := s.Attributes().Get(vocab.KeyFailingHop); ok {
			roots++
		}
	})
	if origins != 30 || roots != 30 {
		t.Errorf("%d origin marks, %d root marks, want 30 each", origins, roots)
	}
}
