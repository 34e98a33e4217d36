package rootwait

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
)

func TestConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if cfg.Wait != DefaultWait || cfg.Validate() != nil {
		t.Errorf("default config %+v", cfg)
	}
	if err := confmap.NewFromStringMap(map[string]any{"wait": "-1s"}).Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil {
		t.Error("a negative wait accepted")
	}
}

// batch is what a service's exporter sends: two services' resources, the
// first with a server root span and its child, the second a child only.
// The root span started now.
func batch(trace byte) ptrace.Traces { return batchStarted(trace, time.Now()) }

func batchStarted(trace byte, started time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	add := func(service string, root bool) {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", service)
		rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("otelhttp")
		if root {
			s := ss.Spans().AppendEmpty()
			s.SetName("GET /checkout")
			s.SetTraceID(pcommon.TraceID{trace})
			s.SetSpanID(pcommon.SpanID{trace, 1})
			s.SetStartTimestamp(pcommon.NewTimestampFromTime(started))
		}
		s := ss.Spans().AppendEmpty()
		s.SetName(service + " child")
		s.SetTraceID(pcommon.TraceID{trace})
		s.SetSpanID(pcommon.SpanID{trace, 2})
		s.SetParentSpanID(pcommon.SpanID{trace, 1})
	}
	add("gateway", true)
	add("orders", false)
	return td
}

// spanNames lists the names of td's spans with their service.
func spanNames(tds []ptrace.Traces) []string {
	var names []string
	for _, td := range tds {
		for _, rs := range td.ResourceSpans().All() {
			service, _ := rs.Resource().Attributes().Get("service.name")
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					names = append(names, service.Str()+": "+s.Name())
				}
			}
		}
	}
	return names
}

func start(t *testing.T, wait, decisionWait time.Duration) (processor.Traces, *consumertest.TracesSink) {
	t.Helper()
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(t.Context(), processortest.NewNopSettings(Type), &Config{Wait: wait, DecisionWait: decisionWait}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(t.Context(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	return p, sink
}

// The root span waits; its resource and scope go with it; the other spans
// go on at once; Shutdown passes on what is held.
func TestHoldsRootSpans(t *testing.T) {
	p, sink := start(t, time.Hour, 2*time.Hour)
	if err := p.ConsumeTraces(t.Context(), batch(1)); err != nil {
		t.Fatal(err)
	}
	if got := spanNames(sink.AllTraces()); len(got) != 2 || got[0] != "gateway: gateway child" || got[1] != "orders: orders child" {
		t.Fatalf("passed on at once: %q, want the two children", got)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	all := sink.AllTraces()
	if got := spanNames(all[1:]); len(all) != 2 || len(got) != 1 || got[0] != "gateway: GET /checkout" {
		t.Fatalf("passed on at shutdown: %q, want the root span", got)
	}
	rs := all[1].ResourceSpans().At(0)
	if rs.SchemaUrl() == "" || rs.ScopeSpans().At(0).Scope().Name() != "otelhttp" {
		t.Errorf("the root span lost its resource's schema or its scope")
	}
	// After shutdown nothing waits.
	if err := p.ConsumeTraces(t.Context(), batch(2)); err != nil {
		t.Fatal(err)
	}
	if n := sink.SpanCount(); n != 6 {
		t.Errorf("after shutdown: %d spans passed on, want all 6", n)
	}
}

// Held roots go on once their wait is over, in the order they came.
func TestReleasesInOrder(t *testing.T) {
	p, sink := start(t, 10*time.Millisecond, time.Minute)
	defer p.Shutdown(context.Background())
	for trace := byte(1); trace <= 3; trace++ {
		if err := p.ConsumeTraces(t.Context(), batch(trace)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // due one after the other
	}
	for deadline := time.Now().Add(10 * time.Second); sink.SpanCount() < 9 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	var roots []byte
	for _, td := range sink.AllTraces() {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					if s.ParentSpanID().IsEmpty() {
						roots = append(roots, s.TraceID()[0])
					}
				}
			}
		}
	}
	if string(roots) != "\x01\x02\x03" {
		t.Errorf("root spans passed on for traces %v, want 1, 2, 3 in order", roots)
	}
}

// A batch of root spans only is passed on whole once held; with no wait,
// everything goes on untouched.
func TestOnlyRootsAndNoWait(t *testing.T) {
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetTraceID(pcommon.TraceID{9})
	roots, _, n := takeRoots(td, time.Now(), 0)
	if n != 1 || td.ResourceSpans().Len() != 0 || roots.SpanCount() != 1 {
		t.Errorf("takeRoots: moved %d, left %d resources, took %d spans; want 1, 0, 1", n, td.ResourceSpans().Len(), roots.SpanCount())
	}

	p, sink := start(t, 0, time.Minute)
	defer p.Shutdown(context.Background())
	if err := p.ConsumeTraces(t.Context(), batch(1)); err != nil {
		t.Fatal(err)
	}
	if got := spanNames(sink.AllTraces()); len(got) != 3 || got[0] != "gateway: GET /checkout" {
		t.Errorf("wait 0: passed on %q, want the batch as it came", got)
	}
}

// A collector that fails to start shuts down components it never started.
func TestShutdownUnstarted(t *testing.T) {
	p, err := NewFactory().CreateTraces(t.Context(), processortest.NewNopSettings(Type), NewFactory().CreateDefaultConfig(), new(consumertest.TracesSink))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown before Start: %v", err)
	}
}

// A root span is never held past the moment tail sampling may decide its
// trace by its decision_wait, counted from the root span's start: that
// many seconds less one (tail sampling's tick) less a margin.
func TestNotPastTheDecisionWait(t *testing.T) {
	p, sink := start(t, time.Hour, 5*time.Second)
	defer p.Shutdown(context.Background())
	// Started 10 s ago: tail sampling may decide it any moment now.
	if err := p.ConsumeTraces(t.Context(), batchStarted(1, time.Now().Add(-10*time.Second))); err != nil {
		t.Fatal(err)
	}
	if n := sink.SpanCount(); n != 3 {
		t.Fatalf("a root span older than the decision wait: %d spans passed on at once, want 3", n)
	}
	// Started now: held until 3.9 s from now, not for the hour. Then one
	// started 3.5 s ago: due in 0.4 s, it goes first.
	if err := p.ConsumeTraces(t.Context(), batchStarted(2, time.Now())); err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeTraces(t.Context(), batchStarted(3, time.Now().Add(-3500*time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	if n := sink.SpanCount(); n != 7 {
		t.Fatalf("%d spans passed on at once, want the 4 children more", n)
	}
	for deadline := time.Now().Add(20 * time.Second); sink.SpanCount() < 9 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	all := sink.AllTraces()
	if n := sink.SpanCount(); n != 9 {
		t.Fatalf("the root spans of traces near their decision wait were still held")
	}
	first := all[len(all)-2].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	if first.TraceID()[0] != 3 {
		t.Errorf("trace %d's root span went first, want trace 3's, due sooner", first.TraceID()[0])
	}
}
