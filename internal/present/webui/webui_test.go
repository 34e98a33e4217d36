package webui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/jaegertest"
	"github.com/failhop/failhop/internal/devstack/tracetest"
	"github.com/failhop/failhop/jaeger"
)

// hostile is a span name that would run script if the page did not escape it.
const hostile = `SELECT "<script>alert(1)</script>"`

// sendFailure sends to Jaeger a failed request of service gateway whose
// origin is a database span of inventory named hostile, and returns its
// trace ID and the origin's span ID.
func sendFailure(t *testing.T, j *jaegertest.Jaeger) (traceID, originID string) {
	t.Helper()
	gw, inv := provider(t, j, "gateway"), provider(t, j, "inventory")
	ctx, root := gw.Tracer("t").Start(context.Background(), "GET /checkout", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(semconv.HTTPResponseStatusCode(502)))
	ctx, call := gw.Tracer("t").Start(ctx, "GET", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(semconv.HTTPResponseStatusCode(500), attribute.String("server.address", "inventory")))
	ctx, srv := inv.Tracer("t").Start(ctx, "GET /items", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(semconv.HTTPResponseStatusCode(500)))
	_, db := inv.Tracer("t").Start(ctx, hostile, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql"), attribute.String("error.type", "42P01"),
			attribute.String("db.query.text", `SELECT name FROM "<script>alert(3)</script>"`)))
	db.SetStatus(codes.Error, `relation "<img src=x onerror=alert(2)>" does not exist`)
	for _, s := range []trace.Span{db, srv, call, root} {
		if s != db {
			s.SetStatus(codes.Error, "")
		}
		s.End()
	}
	return root.SpanContext().TraceID().String(), db.SpanContext().SpanID().String()
}

func provider(t *testing.T, j *jaegertest.Jaeger, service string) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := otlptracegrpc.New(t.Context(), otlptracegrpc.WithEndpoint(j.OTLPGRPCEndpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service), semconv.ServiceVersion("2.0.0"))))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// get asks the handler for path and returns the status and body.
func get(t *testing.T, h http.Handler, path string) (int, http.Header, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://127.0.0.1:16680"+path, nil))
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, w.Header(), string(b)
}

// TestPages checks every page and state against a real Jaeger: the front
// page's groups, a trace page, the search box's references, unknown and
// bad IDs, the JSON API, the escaping of hostile span text, the headers.
func TestPages(t *testing.T) {
	j := jaegertest.StartJaeger(t)
	h := New(jaeger.New(j.QueryURL), "http://jaeger-ui.example", nil).Handler()

	if code, _, body := get(t, h, "/"); code != http.StatusOK || !strings.Contains(body, "No failed requests in the last 15m") {
		t.Errorf("empty Jaeger: %d\n%s", code, body)
	}

	traceID, originID := sendFailure(t, j)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := jaeger.New(j.QueryURL).WaitForTrace(ctx, traceID, 500*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}

	code, hdr, body := get(t, h, "/?since=5m")
	if code != http.StatusOK {
		t.Fatalf("front page: %d\n%s", code, body)
	}
	for _, want := range []string{"inventory → postgresql", "db_error", "/trace/" + traceID, "2.0.0 ×1", "last 5m"} {
		if !strings.Contains(body, want) {
			t.Errorf("front page lacks %q:\n%s", want, body)
		}
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}

	code, _, body = get(t, h, "/trace/"+traceID)
	if code != http.StatusOK {
		t.Fatalf("trace page: %d\n%s", code, body)
	}
	for _, want := range []string{"FAILED", "Failing hop 1 of 1", "db_error", `data-span-id="` + originID + `"`, "origin of failing hop 1",
		"http://jaeger-ui.example/trace/" + traceID + "?uiFind=" + originID, "&lt;script&gt;alert(1)&lt;/script&gt;",
		"<dt>evidence</dt>", "<dt>db.query.text</dt><dd><code>SELECT name FROM &#34;&lt;script&gt;alert(3)&lt;/script&gt;&#34;</code></dd>", "<dt>error.type</dt><dd><code>42P01</code></dd>"} {
		if !strings.Contains(body, want) {
			t.Errorf("trace page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>alert", "<img src=x"} {
		if strings.Contains(body, bad) {
			t.Errorf("trace page holds %q unescaped", bad)
		}
	}
	if !strings.Contains(body, `class="span origin" data-span-id="`+originID+`"`) {
		t.Errorf("the origin span's row is not marked origin")
	}

	// Over a Jaeger that serves no UI (this one), the page links to no
	// placeholder page: it is the trace viewer.
	noUI := New(jaeger.New(j.QueryURL), j.QueryURL, nil).Handler()
	if code, _, body := get(t, noUI, "/trace/"+traceID); code != http.StatusOK || strings.Contains(body, "Open in Jaeger") || !strings.Contains(body, "/api/traces/"+traceID) {
		t.Errorf("trace page over a Jaeger without UI: %d, links to Jaeger's placeholder or not to the JSON", code)
	}

	// The search box takes every form a user quotes.
	for _, q := range []string{traceID, "00-" + traceID + "-" + originID + "-01", "Reference: " + traceID, "Traceresponse: 00-" + traceID + "-" + originID + "-01"} {
		q = url.QueryEscape(q)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://localhost:16680/trace?q="+q, nil))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/trace/"+traceID {
			t.Errorf("search %q: %d to %q", q, w.Code, w.Header().Get("Location"))
		}
	}
	if code, _, _ := get(t, h, "/trace?q=nope"); code != http.StatusBadRequest {
		t.Errorf("search of a non-ID: %d", code)
	}
	if code, _, body := get(t, h, "/trace/zz"); code != http.StatusBadRequest || !strings.Contains(body, "Not a trace ID") {
		t.Errorf("bad ID: %d %s", code, body)
	}
	if code, _, body := get(t, h, "/trace/0123456789abcdef0123456789abcdef"); code != http.StatusNotFound || !strings.Contains(body, "has no trace") {
		t.Errorf("unknown trace: %d %s", code, body)
	}

	// The JSON API: the CLI's schema.
	code, _, body = get(t, h, "/api/traces/"+traceID)
	var rep analyzer.Report
	if err := json.Unmarshal([]byte(body), &rep); code != http.StatusOK || err != nil || len(rep.Hops) != 1 || rep.Hops[0].SpanID != originID {
		t.Errorf("/api/traces: %d %v %s", code, err, body)
	}
	code, _, body = get(t, h, "/api/failures?since=5m&service=gateway")
	var f struct {
		Service string
		analyzer.Failures
	}
	if err := json.Unmarshal([]byte(body), &f); code != http.StatusOK || err != nil || f.Failed != 1 || len(f.Groups) != 1 {
		t.Errorf("/api/failures: %d %v %s", code, err, body)
	}
	// A name that points at 127.0.0.1 but is no local one (DNS
	// rebinding): refused, so that its page cannot read the traces.
	for _, host := range []string{"evil.example:16680", "evil.example"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://"+host+"/api/traces/"+traceID, nil))
		if w.Code != http.StatusMisdirectedRequest {
			t.Errorf("Host %s: %d, want 421", host, w.Code)
		}
	}
	if code, _, body := get(t, h, "/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, hdr, _ := get(t, h, "/static/style.css"); code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/css") {
		t.Errorf("/static/style.css: %d %s", code, hdr.Get("Content-Type"))
	}
}

// With Jaeger down, the front page says so in a banner, not an error page.
func TestJaegerDown(t *testing.T) {
	h := New(jaeger.New("http://127.0.0.1:1"), "", nil).Handler()
	code, _, body := get(t, h, "/")
	if code != http.StatusOK || !strings.Contains(body, "Jaeger cannot be read") || !strings.Contains(body, `role="alert"`) {
		t.Errorf("%d\n%s", code, body)
	}
	if code, _, _ := get(t, h, "/trace/0123456789abcdef0123456789abcdef"); code != http.StatusBadGateway {
		t.Errorf("trace page with Jaeger down: %d", code)
	}
}

// A trace of 10,000 spans renders, every span a row, the origin marked.
func TestHugeTrace(t *testing.T) {
	tr := tracetest.Mixed(10_000, false)
	rep := analyzer.Analyze(tr)
	rows := waterfall(tr, rep)
	if len(rows) != len(tr.Spans) {
		t.Fatalf("%d rows for %d spans", len(rows), len(tr.Spans))
	}
	var b strings.Builder
	if err := New(jaeger.New("http://127.0.0.1:1"), "", nil).pages["trace"].Execute(&b, tracePage{Report: rep, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), `<li class="span`); n != len(tr.Spans) {
		t.Errorf("%d span rows rendered, want %d", n, len(tr.Spans))
	}
	if len(rep.Hops) > 0 && !strings.Contains(b.String(), `class="span origin" data-span-id="`+rep.Hops[0].SpanID+`"`) {
		t.Error("the origin is not marked")
	}
}

// Odd traces still show every span once: a cycle of parent links, a span
// that ends before it starts (its bar stays inside the chart).
func TestWaterfallOddTraces(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	tr := &analyzer.Trace{TraceID: "1", Spans: []*analyzer.Span{
		{SpanID: "a", ParentSpanID: "b", Start: at(0), End: at(10)},
		{SpanID: "b", ParentSpanID: "a", Start: at(1), End: at(5)},
		{SpanID: "c", ParentSpanID: "a", Start: at(2), End: at(3)},
		{SpanID: "d", Start: at(20), End: at(4)}, // ends before it starts
	}}
	rows := waterfall(tr, analyzer.Report{})
	if len(rows) != len(tr.Spans) {
		t.Fatalf("%d rows for %d spans", len(rows), len(tr.Spans))
	}
	for _, r := range rows {
		if r.Offset < 0 || r.Offset > 100 || r.Width < 0 || r.Offset+r.Width > 100.0001 {
			t.Errorf("span %s: bar at %.2f%% of width %.2f%%", r.Span.SpanID, r.Offset, r.Width)
		}
	}
}
