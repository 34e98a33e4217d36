package pipelinetest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/exporters"
	"github.com/failhop/failhop/internal/devstack/stack"
)

// TestValidate checks every configuration with the binaries' own
// validation: component names, settings, pipelines, env defaults.
func TestValidate(t *testing.T) {
	col, jg := collectorBin(t), jaegerBin(t)
	dir := filepath.Join(root(t), "collector-config")
	for _, c := range []struct {
		bin     string
		configs []string // merged in order
	}{
		{col, []string{"otelcol.yaml"}},
		{col, []string{"agent.yaml"}},
		{col, []string{"gateway.yaml"}},
		{jg, []string{"jaeger.yaml"}},
		{jg, []string{"jaeger.yaml", "jaeger-badger.yaml"}},
		{jg, []string{"jaeger.yaml", "jaeger-spm.yaml"}},
	} {
		t.Run(strings.Join(c.configs, "+"), func(t *testing.T) {
			args := []string{"validate"}
			for _, f := range c.configs {
				args = append(args, "--config", filepath.Join(dir, f))
			}
			cmd := exec.Command(c.bin, args...)
			cmd.Env = append(cmd.Environ(), "JAEGER_BADGER_DIR="+t.TempDir())
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s %s: %v\n%s", filepath.Base(c.bin), strings.Join(args, " "), err, out)
			}
		})
	}
}

// sender sends spans as one service, with the OTel SDK, over OTLP/gRPC.
type sender struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
}

func newSender(t *testing.T, endpoint, service string) *sender {
	t.Helper()
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(service), semconv.ServiceVersion("1.0.0"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(50*time.Millisecond)), sdktrace.WithResource(res))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return &sender{tp: tp, tracer: tp.Tracer("pipelinetest")}
}

// span is one span to send: its parent is in ctx.
func (s *sender) span(ctx context.Context, name string, kind trace.SpanKind, start time.Time, d time.Duration, failed bool, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	ctx, sp := s.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithTimestamp(start), trace.WithAttributes(attrs...))
	if failed {
		sp.SetStatus(codes.Error, "")
	}
	return ctx, sp
}

// sentTrace says what was sent: the trace ID and the span IDs by name.
type sentTrace struct {
	traceID string
	spans   map[string]string
}

// dbErrorTrace sends the README's example: gateway → inventory → sqlite,
// with failhop's marks as the kit sets them.
func dbErrorTrace(t *testing.T, gateway, inventory *sender) sentTrace {
	t0 := time.Now().Add(-time.Second)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	ctx, root := gateway.span(context.Background(), "GET /items/{id}", trace.SpanKindServer, t0, ms(50), true,
		attribute.String("http.request.method", "GET"), attribute.String("http.route", "/items/{id}"), attribute.Int("http.response.status_code", 502),
		attribute.Bool("failhop.propagated", true), attribute.String("failhop.cause", "db_error"))
	cctx, client := gateway.span(ctx, "GET", trace.SpanKindClient, t0.Add(ms(2)), ms(43), true,
		attribute.String("http.request.method", "GET"), attribute.String("url.full", "http://inventory:8080/items/7"), attribute.Int("http.response.status_code", 500),
		attribute.Bool("failhop.propagated", true), attribute.String("failhop.cause", "db_error"))
	sctx, server := inventory.span(cctx, "GET /items/{id}", trace.SpanKindServer, t0.Add(ms(3)), ms(41), true,
		attribute.String("http.request.method", "GET"), attribute.String("http.route", "/items/{id}"), attribute.Int("http.response.status_code", 500),
		attribute.Bool("failhop.propagated", true), attribute.String("failhop.cause", "db_error"))
	_, db := inventory.span(sctx, "SELECT stock", trace.SpanKindClient, t0.Add(ms(5)), ms(3), true,
		attribute.String("db.system.name", "sqlite"), attribute.String("db.operation.name", "SELECT"), attribute.String("db.query.text", "SELECT qty FROM stock WHERE item = ?"),
		attribute.Bool("failhop.origin", true), attribute.String("failhop.cause", "db_error"))
	db.End(trace.WithTimestamp(t0.Add(ms(8))))
	server.End(trace.WithTimestamp(t0.Add(ms(44))))
	client.End(trace.WithTimestamp(t0.Add(ms(45))))
	root.End(trace.WithTimestamp(t0.Add(ms(50))))
	return sentTrace{traceID: root.SpanContext().TraceID().String(), spans: map[string]string{
		"root": root.SpanContext().SpanID().String(), "db": db.SpanContext().SpanID().String(),
	}}
}

// plainErrorTrace sends a failure from services without failhop: plain
// OpenTelemetry spans, and a root whose status was left unset with a 500.
// shop's spans end first; between, if not nil, runs before pricing's end.
func plainErrorTrace(t *testing.T, shop, pricing *sender, between func()) sentTrace {
	t0 := time.Now().Add(-time.Second)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	ctx, root := shop.span(context.Background(), "POST /cart", trace.SpanKindServer, t0, ms(40), false, attribute.Int("http.response.status_code", 500))
	cctx, client := shop.span(ctx, "POST", trace.SpanKindClient, t0.Add(ms(2)), ms(28), true,
		attribute.String("http.request.method", "POST"), attribute.String("url.full", "http://pricing:9000/quote"), attribute.Int("http.response.status_code", 500))
	sctx, server := pricing.span(cctx, "POST /quote", trace.SpanKindServer, t0.Add(ms(3)), ms(26), true, attribute.Int("http.response.status_code", 500))
	_, q := pricing.span(sctx, "SELECT prices", trace.SpanKindClient, t0.Add(ms(4)), ms(2), true, attribute.String("db.system", "postgresql"))
	client.End(trace.WithTimestamp(t0.Add(ms(30))))
	root.End(trace.WithTimestamp(t0.Add(ms(40))))
	if between != nil {
		between()
	}
	q.End(trace.WithTimestamp(t0.Add(ms(6))))
	server.End(trace.WithTimestamp(t0.Add(ms(29))))
	return sentTrace{traceID: root.SpanContext().TraceID().String(), spans: map[string]string{
		"root": root.SpanContext().SpanID().String(), "q": q.SpanContext().SpanID().String(),
	}}
}

// okTrace sends a successful request.
func okTrace(t *testing.T, gateway *sender) sentTrace {
	t0 := time.Now().Add(-time.Second)
	_, root := gateway.span(context.Background(), "GET /health", trace.SpanKindServer, t0, 5*time.Millisecond, false, attribute.Int("http.response.status_code", 200))
	root.End(trace.WithTimestamp(t0.Add(5 * time.Millisecond)))
	return sentTrace{traceID: root.SpanContext().TraceID().String()}
}

func flush(t *testing.T, senders ...*sender) {
	for _, s := range senders {
		if err := s.tp.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// checkMarked waits until Jaeger finds tr by failhop.root_cause=true on
// service, and checks the marks on the origin and root spans.
func checkMarked(t *testing.T, j *jaeger, service string, tr sentTrace, origin, hop, cause string) {
	t.Helper()
	var got *analyzer.Trace
	found := eventually(30*time.Second, func() bool {
		for _, x := range j.search(t, service, map[string]string{"failhop.root_cause": "true"}) {
			if x.TraceID == tr.traceID {
				got = x
				return true
			}
		}
		return false
	})
	if !found {
		all, _ := j.trace(t, tr.traceID)
		t.Fatalf("Jaeger has no trace %s of %s with failhop.root_cause=true (the trace as stored: %+v)", tr.traceID, service, all)
	}
	o, r := span(got, tr.spans[origin]), span(got, tr.spans["root"])
	if o == nil || r == nil {
		t.Fatalf("trace %s lacks its origin or root span", tr.traceID)
	}
	if !o.Bool("failhop.root_cause") {
		t.Errorf("origin span: failhop.root_cause = %q", o.Attr("failhop.root_cause"))
	}
	if v := o.Attr("failhop.root_cause.rank"); v != "1" {
		t.Errorf("origin span: failhop.root_cause.rank = %q", v)
	}
	if v := r.Attr("failhop.failing_hop"); v != hop {
		t.Errorf("root span: failhop.failing_hop = %q, want %q", v, hop)
	}
	if v := r.Attr("failhop.failing_hop.cause"); v != cause {
		t.Errorf("root span: failhop.failing_hop.cause = %q, want %q", v, cause)
	}
	n := 0
	for _, s := range got.Spans {
		if s.Bool("failhop.root_cause") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d spans marked failhop.root_cause=true, want 1", n)
	}
}

// checkDropped checks that Jaeger never got tr.
func checkDropped(t *testing.T, j *jaeger, tr sentTrace) {
	t.Helper()
	if _, ok := j.trace(t, tr.traceID); ok {
		t.Errorf("Jaeger has the successful trace %s: it should have been sampled out (FAILHOP_SAMPLE_PERCENT=0)", tr.traceID)
	}
}

// TestSingleNode runs collector-config/otelcol.yaml between the SDK and
// Jaeger: failed traces are kept and marked, successful ones dropped.
func TestSingleNode(t *testing.T) {
	j := startJaeger(t)
	c := startCollector(t, "failhop-collector", "otelcol.yaml",
		"JAEGER_OTLP_ENDPOINT="+j.otlpGRPC, "FAILHOP_DECISION_WAIT=1s", "FAILHOP_SAMPLE_PERCENT=0")
	gateway, inventory := newSender(t, c.otlpGRPC, "gateway"), newSender(t, c.otlpGRPC, "inventory")
	shop, pricing := newSender(t, c.otlpGRPC, "shop"), newSender(t, c.otlpGRPC, "pricing")

	failed := dbErrorTrace(t, gateway, inventory)
	plain := plainErrorTrace(t, shop, pricing, nil)
	ok := okTrace(t, gateway)
	flush(t, gateway, inventory, shop, pricing)

	checkMarked(t, j, "inventory", failed, "db", "inventory → sqlite SELECT stock", "db_error")
	checkMarked(t, j, "pricing", plain, "q", "pricing → postgresql SELECT prices", "db_error")
	// The successful trace was decided with the others; give the exporter
	// one more batch interval.
	time.Sleep(time.Second)
	checkDropped(t, j, ok)

	// Jaeger compares tag values as strings: the bool true matches "true".
	if got := j.search(t, "gateway", map[string]string{"failhop.failing_hop.cause": "db_error"}); len(got) != 1 || got[0].TraceID != failed.traceID {
		t.Errorf("search by failhop.failing_hop.cause on gateway: %d traces", len(got))
	}
}

// TestRootWait sends a failed trace as services that export at different
// moments do: the root service first, the failing service 200 ms later.
// root_wait holds the root span for FAILHOP_ROOT_WAIT (300 ms), so tail
// sampling decides soon after the root span, long before decision_wait
// (30 s), and with the late service's spans in: they are marked.
func TestRootWait(t *testing.T) {
	free, err := stack.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	j := startJaeger(t)
	c := startCollector(t, "failhop-collector", "otelcol.yaml",
		"JAEGER_OTLP_ENDPOINT="+j.otlpGRPC, "FAILHOP_DECISION_WAIT=30s", "FAILHOP_ROOT_WAIT=300ms", "FAILHOP_SAMPLE_PERCENT=0",
		"COLLECTOR_METRICS_LEVEL=basic", fmt.Sprintf("COLLECTOR_METRICS_PORT=%d", free[0]))
	shop, pricing := newSender(t, c.otlpGRPC, "shop"), newSender(t, c.otlpGRPC, "pricing")

	tr := plainErrorTrace(t, shop, pricing, func() {
		flush(t, shop)
		time.Sleep(200 * time.Millisecond) // pricing's exporter comes later
	})
	flush(t, pricing)
	sent := time.Now()

	checkMarked(t, j, "pricing", tr, "q", "pricing → postgresql SELECT prices", "db_error")
	t.Logf("marked in Jaeger %v after the last span was sent (decision_wait is 30 s)", time.Since(sent).Round(10*time.Millisecond))
	if got, _ := j.trace(t, tr.traceID); got == nil || len(got.Spans) != 4 {
		t.Errorf("Jaeger has %v, want the trace's 4 spans", got)
	}
	if metrics, held := scrapeMetrics(free[0], "otelcol_processor_root_wait_spans_held"); !held {
		t.Errorf("the collector's metrics have no otelcol_processor_root_wait_spans_held:\n%.3000s", metrics)
	}
}

// TestExportOnError sends a failed request as two services on
// exporters.Setup do, into the collector on its config's own root and
// decision waits: gateway calls inventory, whose query fails. Their batch
// span processors' schedule is an hour, so that nothing leaves on it
// during the test, and the test flushes nothing: each service exports
// its part of the request when its server span ends failed, inventory's
// before gateway's root span, and the trace arrives whole, marked on
// inventory's query.
func TestExportOnError(t *testing.T) {
	j := startJaeger(t)
	c := startCollector(t, "failhop-collector", "otelcol.yaml", "JAEGER_OTLP_ENDPOINT="+j.otlpGRPC, "FAILHOP_SAMPLE_PERCENT=0")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+c.otlpGRPC)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "3600000")
	gateway, inventory := setupService(t, "gateway"), setupService(t, "inventory")

	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	t0 := time.Now()
	ctx, root := gateway.Start(context.Background(), "GET /checkout", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(t0),
		trace.WithAttributes(attribute.String("http.request.method", "GET"), attribute.String("http.route", "/checkout")))
	cctx, client := gateway.Start(ctx, "GET", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(t0.Add(ms(1))),
		trace.WithAttributes(attribute.String("http.request.method", "GET"), attribute.String("url.full", "http://inventory:8080/items/7")))
	// The request to inventory carries the trace context in its headers.
	headers := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(cctx, headers)
	sctx, server := inventory.Start(propagation.TraceContext{}.Extract(context.Background(), headers), "GET /items/{id}",
		trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(t0.Add(ms(2))),
		trace.WithAttributes(attribute.String("http.request.method", "GET"), attribute.String("http.route", "/items/{id}")))
	_, db := inventory.Start(sctx, "SELECT stock", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(t0.Add(ms(3))),
		trace.WithAttributes(attribute.String("db.system.name", "sqlite"), attribute.String("db.operation.name", "SELECT"),
			attribute.String("db.query.text", "SELECT qty FROM stock WHERE item = ?")))
	db.SetStatus(codes.Error, "no such table: stock")
	db.End(trace.WithTimestamp(t0.Add(ms(5))))
	server.SetAttributes(attribute.Int("http.response.status_code", 500))
	server.SetStatus(codes.Error, "")
	server.End(trace.WithTimestamp(t0.Add(ms(6))))
	client.SetAttributes(attribute.Int("http.response.status_code", 500))
	client.SetStatus(codes.Error, "")
	client.End(trace.WithTimestamp(t0.Add(ms(7))))
	root.SetAttributes(attribute.Int("http.response.status_code", 502))
	root.SetStatus(codes.Error, "")
	root.End(trace.WithTimestamp(t0.Add(ms(8))))

	tr := sentTrace{traceID: root.SpanContext().TraceID().String(), spans: map[string]string{
		"root": root.SpanContext().SpanID().String(), "db": db.SpanContext().SpanID().String(),
	}}
	checkMarked(t, j, "inventory", tr, "db", "inventory → sqlite SELECT stock", "db_error")
	if got, _ := j.trace(t, tr.traceID); got == nil || len(got.Spans) != 4 {
		t.Errorf("Jaeger has %v, want the trace's 4 spans", got)
	}
}

// setupService runs exporters.Setup for service (with the environment's
// settings) and returns its tracer, leaving the OpenTelemetry globals as
// they were: several services share the test process. It is shut down
// when the test ends.
func setupService(t *testing.T, service string) trace.Tracer {
	t.Helper()
	before := otel.GetTracerProvider()
	shutdown, err := exporters.Setup(context.Background(), exporters.WithServiceName(service))
	if err != nil {
		t.Fatal(err)
	}
	tp := otel.GetTracerProvider()
	otel.SetTracerProvider(before)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Errorf("%s: shutdown: %v", service, err)
		}
	})
	return tp.Tracer("pipelinetest")
}

// TestScaleOut runs an agent (agent.yaml) routing to two gateways
// (gateway.yaml): every trace reaches one gateway whole, and is marked.
func TestScaleOut(t *testing.T) {
	j := startJaeger(t)
	var gws []string
	for i := range 2 {
		g := startCollector(t, "gateway-"+string(rune('1'+i)), "gateway.yaml",
			"JAEGER_OTLP_ENDPOINT="+j.otlpGRPC, "FAILHOP_DECISION_WAIT=1s", "FAILHOP_SAMPLE_PERCENT=0")
		gws = append(gws, g.otlpGRPC)
	}
	a := startCollector(t, "agent", "agent.yaml", "FAILHOP_GATEWAYS="+strings.Join(gws, ","))
	gateway, inventory := newSender(t, a.otlpGRPC, "gateway"), newSender(t, a.otlpGRPC, "inventory")

	var failed []sentTrace
	for range 6 {
		failed = append(failed, dbErrorTrace(t, gateway, inventory))
	}
	ok := okTrace(t, gateway)
	flush(t, gateway, inventory)
	for _, tr := range failed {
		checkMarked(t, j, "inventory", tr, "db", "inventory → sqlite SELECT stock", "db_error")
	}
	time.Sleep(time.Second)
	checkDropped(t, j, ok)
}

// TestJaegerDown sends an error trace while Jaeger is not running yet: the
// collector's persistent queue holds the batch and retries until Jaeger
// is up, and the trace arrives, marked.
func TestJaegerDown(t *testing.T) {
	ports := freePorts(t)
	c := startCollector(t, "failhop-collector", "otelcol.yaml",
		"JAEGER_OTLP_ENDPOINT="+addr(ports.JaegerOTLPGRPC), "FAILHOP_DECISION_WAIT=1s", "FAILHOP_SAMPLE_PERCENT=0")
	gateway, inventory := newSender(t, c.otlpGRPC, "gateway"), newSender(t, c.otlpGRPC, "inventory")
	failed := dbErrorTrace(t, gateway, inventory)
	flush(t, gateway, inventory)
	// Past the decision: the marked trace is in the export queue, failing.
	time.Sleep(3 * time.Second)
	j := startJaegerOn(t, ports)
	checkMarked(t, j, "inventory", failed, "db", "inventory → sqlite SELECT stock", "db_error")
}
