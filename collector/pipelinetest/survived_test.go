package pipelinetest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/stack"
)

// TestOpenTelemetryJSSurvived runs fastify services on OpenTelemetry JS
// (testdata/otel-js: shop.js calls recs, payments, cache and catalog, four
// runs of deps.js, with fetch) against the shipped single-node config, on
// the shapes of docs/cli.md's "Failures the request survived": the
// collector marks only the failures that failed the request, and the
// analyzer lists the others among the errors the request survived.
//
// What OpenTelemetry JS writes (seen in their traces): fastify adds a
// "request" span under the server span and a "handler - ..." span under
// it; an error the handler throws is recorded (event and status Error) on
// both; a fetch is an undici client span, status Error for a 5xx answer or
// a timeout.
func TestOpenTelemetryJSSurvived(t *testing.T) {
	p := startAppPipeline(t)
	ports, err := stack.FreePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for i, name := range []string{"recs", "payments", "cache", "catalog"} {
		run(t, name, p.nodeService(t, name, "deps.js", ports[i+1]))
		env = append(env, strings.ToUpper(name)+"_URL=http://127.0.0.1:"+strconv.Itoa(ports[i+1]))
	}
	run(t, "shop", p.nodeService(t, "shop", "shop.js", ports[0], env...))
	shop := "http://127.0.0.1:" + strconv.Itoa(ports[0])

	for _, c := range []struct {
		route    string
		status   int
		marked   []string // the services of the spans marked failhop.root_cause=true, sorted
		survived string   // a service among the errors the request survived (it failed, or was called), or ""
	}{
		{route: "optional-then-essential", status: 502, marked: []string{"payments"}, survived: "recs"},
		{route: "essential-then-optional", status: 502, marked: []string{"payments"}, survived: "recs"},
		{route: "fan-out", status: 502, marked: []string{"payments", "recs"}},
		{route: "cache-then-own-failure", status: 500, marked: []string{"shop"}, survived: "cache"},
		{route: "cache-then-fallback-fails", status: 502, marked: []string{"catalog"}, survived: "cache"},
	} {
		t.Run(c.route, func(t *testing.T) {
			since := time.Now()
			if got := get(t, shop+"/"+c.route); got != c.status {
				t.Fatalf("%s answered %d, want %d", c.route, got, c.status)
			}
			tr := p.findTrace(t, "shop", since, func(root *analyzer.Span) bool { return root.Name == "GET /"+c.route })
			p.save(t, tr.TraceID, "fastify-"+c.route)
			checkMarkedServices(t, tr, c.marked)
			checkSurvived(t, tr, c.survived)
		})
	}
}

// checkMarkedServices checks that the spans marked failhop.root_cause=true are of
// the services want (sorted), and that the root's failhop.failing_hop
// names hop 1's.
func checkMarkedServices(t *testing.T, tr *analyzer.Trace, want []string) {
	t.Helper()
	m := marked(tr)
	var got []string
	first := ""
	for _, s := range m {
		got = append(got, s.Service)
		if s.Attr("failhop.root_cause.rank") == "1" {
			first = s.Service
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("failhop.root_cause=true on spans of %q, want %q:\n%s", got, want, dump(tr))
	}
	r := analyzer.Analyze(tr)
	for _, s := range tr.Spans {
		if s.SpanID == r.Root.SpanID && !strings.Contains(s.Attr("failhop.failing_hop"), first) {
			t.Errorf("root span: failhop.failing_hop = %q, want the hop of %s's marked span", s.Attr("failhop.failing_hop"), first)
		}
	}
}

// checkSurvived checks that the analyzer lists a failure of service, or of
// a call to it, among the errors the request survived; "" checks nothing.
func checkSurvived(t *testing.T, tr *analyzer.Trace, service string) {
	t.Helper()
	if service == "" {
		return
	}
	r := analyzer.Analyze(tr)
	if !slices.ContainsFunc(r.NonFatal, func(h analyzer.Hop) bool { return h.Service == service || h.To == service }) {
		t.Errorf("no failure of or at %s among the errors the request survived %+v:\n%s", service, r.NonFatal, dump(tr))
	}
}
