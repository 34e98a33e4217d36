package webui

import (
	"context"
	"encoding/json"
	"html/template"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
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
	db.SetAttributes(attribute.String(`note<b>`, `<img src=x onerror=alert(4)>`))
	db.AddEvent("exception", trace.WithAttributes(attribute.String("exception.message", "<script>alert(5)</script>"),
		attribute.String("exception.stacktrace", "goroutine 1 [running]:\nmain.query()\n\t/src/inventory/main.go:42\nmain.main()\n\t/src/inventory/main.go:10")))
	db.SetStatus(codes.Error, `relation "<img src=x onerror=alert(2)>" does not exist`)
	for _, s := range []trace.Span{db, srv, call, root} {
		if s != db {
			s.SetStatus(codes.Error, "")
		}
		s.End()
	}
	return root.SpanContext().TraceID().String(), db.SpanContext().SpanID().String()
}

// checkDetails checks a trace page's details of the spans against the
// trace as Jaeger returns it: the origin's open, with every attribute
// sorted and escaped, its resource, its event with the stack trace
// folded, and a link to its parent; ?span= opens another span's instead.
func checkDetails(t *testing.T, h http.Handler, tr *analyzer.Trace, originID string) {
	t.Helper()
	var origin *analyzer.Span
	for _, s := range tr.Spans {
		if s.SpanID == originID {
			origin = s
		}
	}
	code, _, body := get(t, h, "/trace/"+tr.TraceID)
	if code != http.StatusOK || origin == nil {
		t.Fatalf("trace page: %d, origin %v", code, origin)
	}
	_, details, found := strings.Cut(body, `<details id="span-`+originID+`" open>`)
	details, _, _ = strings.Cut(details, "</li>")
	if !found {
		t.Fatalf("the origin's details are not open:\n%s", body)
	}
	for _, want := range []string{
		`<dt>name</dt><dd>SELECT &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;</dd>`, `<dt>kind</dt><dd>client</dd>`, `<dt>service</dt><dd>inventory</dd>`,
		`href="?span=` + origin.ParentSpanID + `#span-` + origin.ParentSpanID + `"`,
		"error: <pre>relation &#34;&lt;img src=x onerror=alert(2)&gt;&#34; does not exist</pre>",
		"<dt>note&lt;b&gt;</dt><dd><pre>&lt;img src=x onerror=alert(4)&gt;</pre></dd>",
		"<dt>service.version</dt><dd><pre>2.0.0</pre></dd>",
		`<span class="event-name">exception</span>`, "<dt>exception.message</dt><dd><pre>&lt;script&gt;alert(5)&lt;/script&gt;</pre></dd>",
		`<details class="fold"><summary><code>goroutine 1 [running]:</code> <span class="kind">(5 lines)</span></summary>`,
	} {
		if !strings.Contains(details, want) {
			t.Errorf("the origin's details lack %q:\n%s", want, details)
		}
	}
	// Every attribute, sorted by key, with the value Jaeger returned.
	last := -1
	for _, k := range slices.Sorted(maps.Keys(origin.Attributes)) {
		at := strings.Index(details, "<dt>"+template.HTMLEscapeString(k)+"</dt><dd><pre>"+template.HTMLEscapeString(valueText(origin.Attributes[k]))+"</pre>")
		if at < last {
			t.Errorf("attribute %s: at %d, after %d (missing or out of order)", k, at, last)
		}
		last = at
	}
	if _, _, body := get(t, h, "/trace/"+tr.TraceID+"?span="+origin.ParentSpanID); !strings.Contains(body, `<details id="span-`+origin.ParentSpanID+`" open>`) ||
		strings.Contains(body, `<details id="span-`+originID+`" open>`) {
		t.Errorf("?span=%s does not open that span's details alone", origin.ParentSpanID)
	}
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
	tr, err := jaeger.New(j.QueryURL).Trace(t.Context(), traceID)
	if err != nil {
		t.Fatal(err)
	}
	checkDetails(t, h, tr, originID)
	checkSearch(t, h, traceID)

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

// checkSearch checks the front page's search by attribute: a value the
// failed request's spans have finds it, another finds nothing, and a
// search that is not key=value says so.
func checkSearch(t *testing.T, h http.Handler, traceID string) {
	t.Helper()
	for q, want := range map[string]string{
		" db.system.name = postgresql ":        "/trace/" + traceID,
		"service.version=2.0.0":                "/trace/" + traceID, // a resource attribute
		"http.response.status_code=502":        "/trace/" + traceID, // a number, compared as text
		"note<b>=<img src=x onerror=alert(4)>": "/trace/" + traceID,
		"db.system.name=mysql":                 "No failed requests with <code>db.system.name=mysql</code>",
	} {
		code, _, body := get(t, h, "/?since=5m&attr="+url.QueryEscape(q))
		if code != http.StatusOK || !strings.Contains(body, want) || strings.Contains(body, "<img src=x") {
			t.Errorf("search %q: %d, lacks %q or holds it unescaped:\n%s", q, code, want, body)
		}
	}
	for _, q := range []string{"nope", "=x", "error=true"} {
		if code, _, body := get(t, h, "/?attr="+url.QueryEscape(q)); code != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
			t.Errorf("search %q: %d\n%s", q, code, body)
		}
	}
	code, _, body := get(t, h, "/api/failures?since=5m&attr="+url.QueryEscape("db.system.name=mysql"))
	var f analyzer.Failures
	if err := json.Unmarshal([]byte(body), &f); code != http.StatusOK || err != nil || f.Failed != 0 {
		t.Errorf("/api/failures?attr=: %d %v %s", code, err, body)
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

// A trace of 10,000 spans renders, every span a row, the origin marked
// and its details open; the page holds the details of the first
// maxDetailedRows spans, and a link to load each other's.
func TestHugeTrace(t *testing.T) {
	tr := tracetest.Mixed(10_000, false)
	rep := analyzer.Analyze(tr)
	rows := waterfall(tr, rep)
	if len(rows) != len(tr.Spans) {
		t.Fatalf("%d rows for %d spans", len(rows), len(tr.Spans))
	}
	withDetails(rows, tr.TraceID, opened("", tr, rep)...)
	detailed := 0
	for i, r := range rows {
		if r.Details != nil {
			detailed++
		}
		if r.Open != (len(rep.Hops) > 0 && r.Span.SpanID == rep.Hops[0].SpanID) || (r.Open || i < maxDetailedRows) != (r.Details != nil) {
			t.Errorf("row %d (span %s): open %v, details %v", i, r.Span.SpanID, r.Open, r.Details != nil)
		}
	}
	var b strings.Builder
	if err := New(jaeger.New("http://127.0.0.1:1"), "", nil).pages["trace"].Execute(&b, tracePage{Report: rep, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), `<li class="span`); n != len(tr.Spans) {
		t.Errorf("%d span rows rendered, want %d", n, len(tr.Spans))
	}
	if n := strings.Count(b.String(), `<div class="span-details">`); n != detailed {
		t.Errorf("%d spans' details rendered, want %d", n, detailed)
	}
	if n := strings.Count(b.String(), `>Load its details</a>`); n != len(rows)-detailed {
		t.Errorf("%d links to load a span's details, want %d", n, len(rows)-detailed)
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
