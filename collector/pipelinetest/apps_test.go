package pipelinetest

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/stack"
	jaegerapi "github.com/failhop/failhop/jaeger"
)

// Applications nobody on this project wrote, sending through the shipped
// collector config into Jaeger: what real instrumentation puts in a trace
// (OK spans, retries, log events, other conventions) is what failhop must
// read.

// capture is where the app tests write the traces they check, as the
// analyzer's captured fixtures:
//
//	cd collector && go test ./pipelinetest -run 'TestHotROD|TestOpenTelemetryJS' -capture testdata/traces
var capture = flag.String("capture", "", "write the traces the app tests check into this `directory` (relative to the repository's root), as Jaeger JSON without the collector's failhop marks")

// save writes the trace as Jaeger's query API returns it, less the marks
// the failhop processor added (a fixture is what the application sent),
// to the capture directory as name.json.
func (p *appPipeline) save(t *testing.T, traceID, name string) {
	t.Helper()
	if *capture == "" {
		return
	}
	resp, err := http.Get(p.jaegerURL + "/api/traces/" + traceID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, tr := range doc.Data {
		spans, _ := tr["spans"].([]any)
		for _, s := range spans {
			span := s.(map[string]any)
			tags, _ := span["tags"].([]any)
			kept := []any{}
			for _, tag := range tags {
				key, _ := tag.(map[string]any)["key"].(string)
				if !strings.HasPrefix(key, "failhop.root_cause") && !strings.HasPrefix(key, "failhop.failing_hop") {
					kept = append(kept, tag)
				}
			}
			span["tags"] = kept
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(*capture, name+".json")
	if !filepath.IsAbs(file) {
		file = filepath.Join(root(t), file)
	}
	if err := os.WriteFile(file, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("captured trace %s in %s", traceID, file)
}

// appPipeline is Jaeger behind the single-node collector, sampling
// nothing but failed traces.
type appPipeline struct {
	*jaeger
	jaegerURL string
	otlpHTTP  string // the collector's OTLP/HTTP receiver, host:port
}

func startAppPipeline(t *testing.T) *appPipeline {
	t.Helper()
	// 5s: HotROD's dispatch takes about a second, plus the exporters' delay.
	st := startPipeline(t, "FAILHOP_DECISION_WAIT=5s", "FAILHOP_SAMPLE_PERCENT=0", "FAILHOP_SLOW_MS=60000")
	return &appPipeline{jaeger: &jaeger{client: jaegerapi.New(st.JaegerURL)}, jaegerURL: st.JaegerURL, otlpHTTP: st.OTLPHTTPEndpoint}
}

// get sends a GET and returns the status.
func get(t *testing.T, url string) int {
	t.Helper()
	status, _, err := httpGet(url, "")
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return status
}

// clockSlack is how much earlier than the test's clock says a trace may
// start and still be the one a test just caused: OpenTelemetry JS times
// spans by performance.timeOrigin + performance.now(), which is a fraction
// of a millisecond off the wall clock, either way (a trace of front was
// seen starting 0.2 ms before the request that made it).
const clockSlack = time.Second

// findTrace waits until Jaeger has a trace of service whose root span
// matches, started after since (less clockSlack), and returns it.
func (p *appPipeline) findTrace(t *testing.T, service string, since time.Time, match func(root *analyzer.Span) bool) *analyzer.Trace {
	t.Helper()
	var found *analyzer.Trace
	var seen []string // what Jaeger had, for the failure message
	ok := eventually(40*time.Second, func() bool {
		seen = seen[:0]
		for _, tr := range p.search(t, service, nil) {
			r := analyzer.Analyze(tr)
			seen = append(seen, fmt.Sprintf("  %s: %d spans, started %v after the request, root %q", tr.TraceID, len(tr.Spans), r.Start.Sub(since), r.Root.Name))
			if r.Root.SpanID != "" && r.Start.After(since.Add(-clockSlack)) {
				for _, s := range tr.Spans {
					if s.SpanID == r.Root.SpanID && match(s) {
						found = tr
						return true
					}
				}
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no matching trace of %s in Jaeger after 40s; its traces there:\n%s", service, strings.Join(seen, "\n"))
	}
	// Spans of other services may still be on their way: wait until the
	// trace stops growing, as `failhop why --wait` does.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tr, err := p.client.WaitForTrace(ctx, found.TraceID, time.Second, nil)
	if err != nil {
		t.Fatalf("trace %s: %v", found.TraceID, err)
	}
	return tr
}

func marked(tr *analyzer.Trace) []*analyzer.Span {
	var out []*analyzer.Span
	for _, s := range tr.Spans {
		if s.Bool("failhop.root_cause") {
			out = append(out, s)
		}
	}
	return out
}

func dump(tr *analyzer.Trace) string {
	var b strings.Builder
	for _, s := range tr.Spans {
		fmt.Fprintf(&b, "  %s parent=%s %s %q %s status=%q %v\n", s.SpanID, s.ParentSpanID, s.Service, s.Name, s.Kind, s.Status, s.Attributes)
	}
	return b.String()
}

// TestHotROD runs Jaeger's HotROD (bin/hotrod, from the pinned Jaeger
// module) against the shipped single-node config.
//
// A dispatch for an unknown customer fails: the frontend asks the
// customer service, whose database lookup ("SQL SELECT", services/customer/
// database.go) returns "invalid customer ID" without recording it on its
// span (the span ends with status unset); the customer handler answers 500
// (services/customer/server.go) and logs "request failed" with the error
// on its server span, which otelhttp marks Error for the 500. So the error
// first shows on customer's server span: that is the span where it
// started, and the failing hop is frontend → customer. The frontend's
// client span and /dispatch only pass the 500 on.
//
// A dispatch for a known customer succeeds, but HotROD's simulated Redis
// (services/driver/redis.go) fails its first GetDriver call and every
// fifth after it ("redis timeout", status Error), and the driver service
// retries (services/driver/server.go): those failures were survived, so
// the trace is kept (it has failed spans) but nothing is marked, and the
// analyzer lists the failed Redis calls as non-fatal.
func TestHotROD(t *testing.T) {
	bin := builtBinary(t, "hotrod", "make bin/hotrod")
	p := startAppPipeline(t)
	ports, err := stack.FreePorts(4)
	if err != nil {
		t.Fatal(err)
	}
	front := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	args := []string{"all",
		"--frontend-service-port", strconv.Itoa(ports[0]), "--customer-service-port", strconv.Itoa(ports[1]),
		"--driver-service-port", strconv.Itoa(ports[2]), "--route-service-port", strconv.Itoa(ports[3]),
		"--frontend-service-hostname", "127.0.0.1", "--customer-service-hostname", "127.0.0.1",
		"--driver-service-hostname", "127.0.0.1", "--route-service-hostname", "127.0.0.1",
	}
	env := []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + p.otlpHTTP, "OTEL_BSP_SCHEDULE_DELAY=200"}
	run(t, "hotrod", stack.NewService(stack.Process{
		Name: "hotrod", Bin: bin, Args: args, Env: append(os.Environ(), env...),
		LogFile: filepath.Join(t.TempDir(), "hotrod.log"), Ready: []string{front + "/config?nonse=1"},
	}))

	since := time.Now()
	if got := get(t, front+"/dispatch?customer=999&nonse=1"); got != http.StatusInternalServerError {
		t.Fatalf("dispatch for an unknown customer answered %d, want 500", got)
	}
	if got := get(t, front+"/dispatch?customer=123&nonse=2"); got != http.StatusOK {
		t.Fatalf("dispatch for customer 123 answered %d, want 200", got)
	}
	// HotROD's server spans carry no query string: the two dispatches are
	// told apart by their answer.
	dispatch := func(status string) func(*analyzer.Span) bool {
		return func(root *analyzer.Span) bool {
			return root.Name == "/dispatch" && root.Attr("http.response.status_code") == status
		}
	}

	t.Run("failed dispatch", func(t *testing.T) {
		tr := p.findTrace(t, "frontend", since, dispatch("500"))
		p.save(t, tr.TraceID, "hotrod-unknown-customer")
		m := marked(tr)
		if len(m) != 1 {
			t.Fatalf("%d spans marked failhop.root_cause=true, want 1:\n%s", len(m), dump(tr))
		}
		if m[0].Service != "customer" || m[0].Kind != analyzer.KindServer {
			t.Errorf("failhop.root_cause=true on %s %q (%s), want customer's server span:\n%s", m[0].Service, m[0].Name, m[0].Kind, dump(tr))
		}
		r := analyzer.Analyze(tr)
		for _, s := range tr.Spans {
			if s.SpanID == r.Root.SpanID {
				if got := s.Attr("failhop.failing_hop"); !strings.HasPrefix(got, "frontend → customer") {
					t.Errorf("root span: failhop.failing_hop = %q, want the hop frontend → customer", got)
				}
			}
		}
		// Jaeger finds it by the mark.
		found := false
		for _, x := range p.search(t, "customer", map[string]string{"failhop.root_cause": "true"}) {
			found = found || x.TraceID == tr.TraceID
		}
		if !found {
			t.Error("Jaeger's search for failhop.root_cause=true on customer does not find the trace")
		}
	})

	t.Run("successful dispatch with retried Redis calls", func(t *testing.T) {
		tr := p.findTrace(t, "frontend", since, dispatch("200"))
		p.save(t, tr.TraceID, "hotrod-dispatch-redis-retries")
		if m := marked(tr); len(m) != 0 {
			t.Errorf("%d spans of a successful request marked failhop.root_cause=true", len(m))
		}
		r := analyzer.Analyze(tr)
		if r.Failed {
			t.Fatalf("the analyzer calls the successful dispatch failed:\n%s", dump(tr))
		}
		redis := 0
		for _, h := range r.NonFatal {
			if h.Service == "redis-manual" {
				redis++
			}
		}
		if redis == 0 {
			t.Errorf("no failed Redis call among the non-fatal errors %+v:\n%s", r.NonFatal, dump(tr))
		}
	})
}

// nodeService is the Node.js test service script of testdata/otel-js,
// traced by its tracing.js into the pipeline, as service name, listening
// on port; env adds to its environment.
func (p *appPipeline) nodeService(t *testing.T, name, script string, port int, env ...string) *stack.Service {
	t.Helper()
	dir := filepath.Join(root(t), "collector", "pipelinetest", "testdata", "otel-js")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@opentelemetry", "sdk-node")); err != nil {
		t.Fatalf("the Node packages are not installed: run `make node-packages` (make test does)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed")
	}
	env = append(env, "OTEL_SERVICE_NAME="+name, "PORT="+strconv.Itoa(port),
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+p.otlpHTTP, "OTEL_BSP_SCHEDULE_DELAY=200")
	return stack.NewService(stack.Process{
		Name: name, Bin: node, Args: []string{"--require", filepath.Join(dir, "tracing.js"), filepath.Join(dir, script)},
		Env: append(os.Environ(), env...), LogFile: filepath.Join(t.TempDir(), name+".log"),
		Ready: []string{"http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"},
	})
}

// TestOpenTelemetryJS runs two express services on OpenTelemetry JS
// (testdata/otel-js, Node packages installed by .ci/run) against the
// shipped single-node config: front calls back over HTTP.
//
// What OpenTelemetry JS writes (seen in their traces): express adds a
// "request handler" span, status Unset unless the handler's own error
// passes through it, between each server span and what the handler does;
// a thrown exception is recorded (event and status Error) on back's
// "request handler" span, not on its server span; a refused connection is
// a client span with status Error, an exception event and no HTTP status.
func TestOpenTelemetryJS(t *testing.T) {
	cli := builtBinary(t, "failhop", "make bin/failhop")
	p := startAppPipeline(t)
	ports, err := stack.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	frontURL, backURL := "http://127.0.0.1:"+strconv.Itoa(ports[0]), "http://127.0.0.1:"+strconv.Itoa(ports[1])
	back := p.nodeService(t, "back", "back.js", ports[1])
	run(t, "back", back)
	run(t, "front", p.nodeService(t, "front", "front.js", ports[0], "BACK_URL="+backURL))

	// why runs `failhop why --json TRACE-ID` against this Jaeger, as a user
	// would, and returns its answer.
	why := func(t *testing.T, traceID string) analyzer.Report {
		t.Helper()
		cmd := exec.Command(cli, "why", "--json", "--jaeger", p.jaegerURL, traceID)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("failhop why %s: %v\n%s", traceID, err, out)
		}
		var r analyzer.Report
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("failhop why --json: %v\n%s", err, out)
		}
		return r
	}
	checkout := func(query, status string) func(*analyzer.Span) bool {
		return func(root *analyzer.Span) bool {
			return root.Name == "GET /checkout" && root.Attr("url.query") == query && root.Attr("http.response.status_code") == status
		}
	}

	t.Run("back throws", func(t *testing.T) {
		since := time.Now()
		if got := get(t, frontURL+"/checkout?mode=boom"); got != http.StatusBadGateway {
			t.Fatalf("checkout answered %d, want 502", got)
		}
		tr := p.findTrace(t, "front", since, checkout("mode=boom", "502"))
		p.save(t, tr.TraceID, "express-back-throws")
		m := marked(tr)
		if len(m) != 1 || m[0].Service != "back" || m[0].Name != "request handler" {
			t.Fatalf("failhop.root_cause=true on %d spans, want back's request handler span, where the exception was recorded:\n%s", len(m), dump(tr))
		}
		r := why(t, tr.TraceID)
		if !r.Failed || len(r.Hops) != 1 {
			t.Fatalf("failhop why: %+v", r)
		}
		h := r.Hops[0]
		if h.SpanID != m[0].SpanID || h.Service != "back" || h.Cause != "app_error" || !strings.Contains(h.Message, "item 42 not found") {
			t.Errorf("failhop why names %+v, want back's request handler span, app_error, with the exception's message", h)
		}
	})

	t.Run("back down", func(t *testing.T) {
		back.Stop()
		since := time.Now()
		if got := get(t, frontURL+"/checkout?mode=ok"); got != http.StatusBadGateway {
			t.Fatalf("checkout answered %d, want 502", got)
		}
		tr := p.findTrace(t, "front", since, checkout("mode=ok", "502"))
		p.save(t, tr.TraceID, "express-back-down")
		m := marked(tr)
		if len(m) != 1 || m[0].Service != "front" || m[0].Kind != analyzer.KindClient {
			t.Fatalf("failhop.root_cause=true on %d spans, want front's refused client span:\n%s", len(m), dump(tr))
		}
		r := why(t, tr.TraceID)
		if !r.Failed || len(r.Hops) != 1 || r.Hops[0].SpanID != m[0].SpanID || r.Hops[0].Cause != "peer_unreachable" {
			t.Errorf("failhop why: %+v, want front's client span, peer_unreachable", r)
		}
	})
}
