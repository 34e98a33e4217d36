package failhopsampler

import (
	"context"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/analyzer/otlpconv"
	"github.com/failhop/failhop/collector/internal/analyses"
)

// The metrics, a public contract (README, "Alerting"): names and labels
// are what users' rules and dashboards type.
const (
	metricRequests     = "failhop_requests"        // exposed as failhop_requests_total
	metricFailed       = "failhop_failed_requests" // failhop_failed_requests_total
	metricFailingHops  = "failhop_failing_hops"    // failhop_failing_hops_total
	metricOverflow     = "failhop_metrics_overflow"
	labelEntryService  = "entry_service"
	labelEntryOp       = "entry_operation"
	labelOriginService = "origin_service"
	labelOriginOp      = "origin_operation"
	labelCause         = "cause"
	labelOriginVersion = "origin_version"
)

// counter counts reports into the metrics, each bounded to maxSeries
// label sets, and serves them in Prometheus's exposition.
type counter struct {
	provider                          *sdkmetric.MeterProvider
	handler                           http.Handler
	requests, failed, hops, overflows metric.Int64Counter
	maxSeries                         int

	mu      sync.Mutex
	seen    map[string]map[attribute.Distinct]bool // label sets admitted, by metric
	entries map[[2]string]attribute.Set            // entrySet's
}

func newCounter(maxSeries int) (*counter, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, err
	}
	c := &counter{
		provider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithCardinalityLimit(maxSeries)),
		handler:   promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}),
		maxSeries: maxSeries,
		seen:      map[string]map[attribute.Distinct]bool{},
		entries:   map[[2]string]attribute.Set{},
	}
	m := c.provider.Meter("github.com/failhop/failhop/collector/failhopsampler")
	for _, inst := range []struct {
		c    *metric.Int64Counter
		name string
		desc string
	}{
		{&c.requests, metricRequests, "Requests (traces) and the units of work in them (messages processed apart), by the service and span name of their entry span, counted before sampling"},
		{&c.failed, metricFailed, "Failed requests and units of work, by the service and span name of their entry span, counted before sampling"},
		{&c.hops, metricFailingHops, "Failing hops of failed requests and units of work, by entry and by the origin span's service, operation, cause and service.version"},
		{&c.overflows, metricOverflow, "Counts added to a metric's overflow series (otel_metric_overflow=\"true\") because the metric already had max_series label sets"},
	} {
		if *inst.c, err = m.Int64Counter(inst.name, metric.WithDescription(inst.desc)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// countTrace counts the trace of td, which failed says has a failed
// span: a trace without one, and without a consumer span, is a request
// that succeeded, counted by its entry span alone (otlpconv.Entry,
// without converting the trace); one with a failed span is analyzed as
// the failhop processor analyzes it, and so is one with a consumer span,
// whose units of work (analyzer.Unit) are counted too.
func (c *counter) countTrace(ctx context.Context, id pcommon.TraceID, td ptrace.Traces, failed bool) {
	if !failed && td.SpanCount() < analyzer.MaxSpans && !processesMessages(td) {
		if service, name, ok := otlpconv.Entry(td); ok {
			c.add(ctx, c.requests, metricRequests, c.entrySet(service, name))
		}
		return
	}
	conv := otlpconv.NewConverter(td.SpanCount())
	defer conv.Release()
	var t analyzer.Trace
	for _, rs := range td.ResourceSpans().All() {
		res := conv.Resource(rs.Resource().Attributes())
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				t.TraceID = s.TraceID().String()
				t.Spans = append(t.Spans, conv.Span(s, res, ss.Scope()))
			}
		}
	}
	r := analyzer.Analyze(&t)
	analyses.Put(id, r) // the failhop processor marks the trace by it
	c.count(ctx, r)
}

// processesMessages reports whether td has a consumer span: the
// processing of a message, which may be a unit of work of its own.
func processesMessages(td ptrace.Traces) bool {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				if s.Kind() == ptrace.SpanKindConsumer {
					return true
				}
			}
		}
	}
	return false
}

// entrySet returns the label set of an entry span, made once for each of
// at most maxSeries entries (the usual traffic has few).
func (c *counter) entrySet(service, name string) attribute.Set {
	key := [2]string{service, name}
	c.mu.Lock()
	set, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		return set
	}
	set = attribute.NewSet(attribute.String(labelEntryService, service), attribute.String(labelEntryOp, name))
	c.mu.Lock()
	if len(c.entries) < c.maxSeries {
		c.entries[key] = set
	}
	c.mu.Unlock()
	return set
}

// count adds one analyzed trace: its request and each of its units of
// work (analyzer.Unit), each under its entry span's service and name.
func (c *counter) count(ctx context.Context, r analyzer.Report) {
	if r.Problem != "" {
		return // no span to start from: not a request
	}
	c.countEntry(ctx, r.TraceID, r.Root, r.Failed, r.Hops)
	for _, u := range r.Units {
		c.countEntry(ctx, r.TraceID, u.Entry, u.Failed, u.Hops)
	}
}

// countEntry counts one request or unit of work, entered at entry, and
// its failing hops when it failed.
func (c *counter) countEntry(ctx context.Context, traceID string, entry analyzer.Step, failed bool, hops []analyzer.Hop) {
	set := c.entrySet(entry.Service, entry.Name)
	c.add(ctx, c.requests, metricRequests, set)
	if !failed {
		return
	}
	c.add(ctx, c.failed, metricFailed, set)
	for _, h := range hops {
		hop := attribute.NewSet(append(set.ToSlice(),
			attribute.String(labelOriginService, h.Service),
			attribute.String(labelOriginOp, h.OriginOperation()),
			attribute.String(labelCause, string(h.Cause)),
			attribute.String(labelOriginVersion, h.ServiceVersion))...)
		c.add(withSpan(ctx, traceID, h.SpanID), c.hops, metricFailingHops, hop)
	}
}

// add counts one under set, and counts set in the overflow metric when
// the instrument has no room for it: the SDK then counts it in the
// overflow series (WithCardinalityLimit keeps maxSeries-1 label sets and
// the overflow one).
func (c *counter) add(ctx context.Context, inst metric.Int64Counter, name string, set attribute.Set) {
	if !c.admit(name, set) {
		c.overflows.Add(ctx, 1, metric.WithAttributes(attribute.String("metric", name+"_total")))
	}
	inst.Add(ctx, 1, metric.WithAttributeSet(set))
}

func (c *counter) admit(name string, set attribute.Set) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := c.seen[name]
	if seen == nil {
		seen = map[attribute.Distinct]bool{}
		c.seen[name] = seen
	}
	if seen[set.Equivalent()] {
		return true
	}
	if len(seen) >= c.maxSeries-1 {
		return false
	}
	seen[set.Equivalent()] = true
	return true
}

// withSpan returns ctx with the span traceID/spanID as its (sampled)
// span context: the SDK records it as the measurement's exemplar.
func withSpan(ctx context.Context, traceID, spanID string) context.Context {
	tid, err1 := trace.TraceIDFromHex(traceID)
	sid, err2 := trace.SpanIDFromHex(spanID)
	if err1 != nil || err2 != nil {
		return ctx
	}
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
}
