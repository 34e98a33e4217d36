package failhopsampler

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor/pkg/samplingpolicy"
)

// conventions are one-span traces, each failed (or not) by one of the
// conventions instrumentations use.
var conventions = []struct {
	name   string
	kind   ptrace.SpanKind
	status ptrace.StatusCode
	attrs  map[string]any
	event  string
	failed bool
}{
	{name: "status error", kind: ptrace.SpanKindServer, status: ptrace.StatusCodeError, failed: true},
	{name: "error tag", kind: ptrace.SpanKindServer, attrs: map[string]any{"error": true}, failed: true},
	{name: "error tag as string", kind: ptrace.SpanKindInternal, attrs: map[string]any{"error": "true"}, failed: true},
	{name: "server 5xx", kind: ptrace.SpanKindServer, attrs: map[string]any{"http.response.status_code": 500}, failed: true},
	{name: "server 5xx, legacy key", kind: ptrace.SpanKindServer, attrs: map[string]any{"http.status_code": 503}, failed: true},
	{name: "client 5xx", kind: ptrace.SpanKindClient, attrs: map[string]any{"http.response.status_code": 502}, failed: true},
	{name: "client 5xx, legacy key", kind: ptrace.SpanKindClient, attrs: map[string]any{"http.status_code": "500"}, failed: true},
	{name: "grpc code", kind: ptrace.SpanKindClient, attrs: map[string]any{"rpc.grpc.status_code": 14}, failed: true},
	{name: "grpc code by name", kind: ptrace.SpanKindServer, attrs: map[string]any{"rpc.response.status_code": "INTERNAL"}, failed: true},
	{name: "exception event", kind: ptrace.SpanKindInternal, event: "exception", failed: true},
	{name: "ok", kind: ptrace.SpanKindServer, attrs: map[string]any{"http.response.status_code": 200}},
	{name: "server 404", kind: ptrace.SpanKindServer, attrs: map[string]any{"http.response.status_code": 404}},
	{name: "grpc cancelled", kind: ptrace.SpanKindClient, attrs: map[string]any{"rpc.grpc.status_code": 1}},
	{name: "status ok with exception", kind: ptrace.SpanKindServer, status: ptrace.StatusCodeOk, event: "exception"},
}

func oneSpan(n int, kind ptrace.SpanKind, status ptrace.StatusCode, attrs map[string]any, event string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "svc")
	s := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetTraceID(pcommon.TraceID{0: byte(n + 1), 15: 1})
	s.SetSpanID(pcommon.SpanID{0: byte(n + 1)})
	s.SetName("op")
	s.SetKind(kind)
	s.Status().SetCode(status)
	now := time.Now()
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Millisecond)))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
	if err := s.Attributes().FromRaw(attrs); err != nil {
		panic(err)
	}
	if event != "" {
		s.Events().AppendEmpty().SetName(event)
	}
	return td
}

func TestEvaluate(t *testing.T) {
	ev, err := (&sampler{}).NewEvaluator("failed", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range conventions {
		td := oneSpan(i, c.kind, c.status, c.attrs, c.event)
		got, err := ev.Evaluate(context.Background(), td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID(), traceData(td))
		if err != nil {
			t.Fatal(err)
		}
		if want := decision(c.failed); got != want {
			t.Errorf("%s: %v, want %v", c.name, got, want)
		}
	}
	if _, err := (&sampler{}).NewEvaluator("failed", map[string]any{"x": 1}); err == nil {
		t.Error("a setting was accepted")
	}
}

// host offers the extension to the processor, as the collector does.
type host struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

// TestTailSampling runs the real tail_sampling processor with the policy
// configured as collector-config/otelcol.yaml does: every failed trace is
// kept, whatever its convention, and no other.
func TestTailSampling(t *testing.T) {
	ctx := context.Background()
	ext, err := NewFactory().Create(ctx, extensiontest.NewNopSettings(Type), &Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := tailsamplingprocessor.NewFactory()
	cfg := f.CreateDefaultConfig()
	conf := confmap.NewFromStringMap(map[string]any{
		"decision_wait": "100ms",
		"policies":      []any{map[string]any{"name": "failed", "type": "failhop_sampler"}},
	})
	if err := conf.Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	sink := new(consumertest.TracesSink)
	p, err := f.CreateTraces(ctx, processortest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	h := host{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{component.NewID(Type): ext}}
	if err := p.Start(ctx, h); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(ctx)

	want := map[pcommon.TraceID]string{}
	for i, c := range conventions {
		td := oneSpan(i, c.kind, c.status, c.attrs, c.event)
		if c.failed {
			want[td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID()] = c.name
		}
		if err := p.ConsumeTraces(ctx, td); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for sink.SpanCount() < len(want) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a wrongly kept trace would come by now
	got := map[pcommon.TraceID]bool{}
	for _, td := range sink.AllTraces() {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					got[s.TraceID()] = true
				}
			}
		}
	}
	for id, name := range want {
		if !got[id] {
			t.Errorf("%s: the failed trace was sampled out", name)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("trace %v was kept but did not fail", id)
		}
	}
}

func traceData(td ptrace.Traces) *samplingpolicy.TraceData {
	return &samplingpolicy.TraceData{SpanCount: int64(td.SpanCount()), ReceivedBatches: td}
}

func decision(failed bool) samplingpolicy.Decision {
	if failed {
		return samplingpolicy.Sampled
	}
	return samplingpolicy.NotSampled
}
