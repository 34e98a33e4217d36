package otlpconv

import (
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/failhop/failhop/analyzer"
)

// FailureTest tests pdata spans with analyzer.Failed, converting only what
// that reads: the status, the attributes of analyzer.FailureKeys and the
// event names. The zero value is ready; it is not safe for concurrent use.
type FailureTest struct {
	probe analyzer.Span
	attrs map[string]any
}

// failureKeys are analyzer.FailureKeys, read once.
var failureKeys = analyzer.FailureKeys()

// Failed reports whether analyzer.Failed says s failed.
func (t *FailureTest) Failed(s ptrace.Span) bool {
	if t.attrs == nil {
		t.attrs = make(map[string]any, len(failureKeys))
	}
	clear(t.attrs)
	attrs := s.Attributes()
	for _, k := range failureKeys {
		if v, ok := attrs.Get(k); ok {
			t.attrs[k] = valueOf(v, true)
		}
	}
	t.probe.Status = statusOf(s.Status().Code())
	t.probe.Attributes = t.attrs
	t.probe.Events = t.probe.Events[:0]
	evs := s.Events()
	for i := 0; i < evs.Len(); i++ {
		t.probe.Events = append(t.probe.Events, analyzer.Event{Name: evs.At(i).Name()})
	}
	return analyzer.Failed(&t.probe)
}

// AnyFailed reports whether a span of td failed.
func (t *FailureTest) AnyFailed(td ptrace.Traces) bool {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				if t.Failed(s) {
					return true
				}
			}
		}
	}
	return false
}

func statusOf(c ptrace.StatusCode) analyzer.StatusCode {
	switch c {
	case ptrace.StatusCodeError:
		return analyzer.StatusError
	case ptrace.StatusCodeOk:
		return analyzer.StatusOK
	}
	return analyzer.StatusUnset
}

// Converter converts the spans of one batch, reusing memory: the
// analyzer's spans come from an arena, attribute maps from a pool.
type Converter struct {
	arena []analyzer.Span
	maps  []map[string]any
}

// arenaChunk is how many spans an arena chunk holds.
const arenaChunk = 256

var mapPool = sync.Pool{New: func() any { return make(map[string]any, 16) }}

// NewConverter returns a converter for a batch of about spans spans.
func NewConverter(spans int) *Converter {
	return &Converter{arena: make([]analyzer.Span, 0, min(spans, arenaChunk))}
}

// Span converts s, of resource res and scope scope. The span is valid
// until the next Release.
func (c *Converter) Span(s ptrace.Span, res *Resource, scope pcommon.InstrumentationScope) *analyzer.Span {
	if len(c.arena) == cap(c.arena) {
		// Spans already handed out keep pointing into the full chunk.
		c.arena = make([]analyzer.Span, 0, arenaChunk)
	}
	c.arena = append(c.arena, analyzer.Span{})
	out := &c.arena[len(c.arena)-1]
	convertInto(out, s, res, scope, c.attrMap)
	return out
}

// Resource converts a resource, valid until the next Release.
func (c *Converter) Resource(attrs pcommon.Map) *Resource {
	return newResourceWith(attrs, c.attrMap)
}

func (c *Converter) attrMap(attrs pcommon.Map, extra int) map[string]any {
	if attrs.Len()+extra == 0 {
		return nil
	}
	m := mapPool.Get().(map[string]any)
	c.maps = append(c.maps, m)
	fillMap(m, attrs)
	return m
}

// Release returns the maps to the pool. The analyzer's report holds no
// map of the trace, only strings.
func (c *Converter) Release() {
	for _, m := range c.maps {
		clear(m)
		mapPool.Put(m)
	}
	c.maps = nil
}

// Resource is a converted resource, shared by its spans.
type Resource struct {
	service string
	attrs   map[string]any
}

// NewResource converts a resource.
func NewResource(attrs pcommon.Map) *Resource { return newResourceWith(attrs, attrMap) }

func newResourceWith(attrs pcommon.Map, attrMap attrMapFunc) *Resource {
	r := &Resource{attrs: attrMap(attrs, 0)}
	if v, ok := attrs.Get("service.name"); ok {
		r.service = v.AsString()
	}
	return r
}

// Convert turns a pdata span, of resource res and scope scope, into the
// analyzer's model.
func Convert(s ptrace.Span, res *Resource, scope pcommon.InstrumentationScope) *analyzer.Span {
	out := &analyzer.Span{}
	convertInto(out, s, res, scope, attrMap)
	return out
}

// attrMapFunc converts attributes into a map with room for extra more
// keys; nil when there is nothing to hold.
type attrMapFunc func(attrs pcommon.Map, extra int) map[string]any

// The scope's name and version become attributes, as Jaeger stores them,
// so that a trace has the same attributes whichever API it is read from.
const (
	keyScopeName    = "otel.scope.name"
	keyScopeVersion = "otel.scope.version"
)

func convertInto(out *analyzer.Span, s ptrace.Span, res *Resource, scope pcommon.InstrumentationScope, attrMap attrMapFunc) {
	scopeKeys := 0
	if scope.Name() != "" {
		scopeKeys = 2
	}
	*out = analyzer.Span{
		SpanID:        s.SpanID().String(),
		Service:       res.service,
		Name:          s.Name(),
		Kind:          kindOf(s.Kind()),
		Start:         timeOf(s.StartTimestamp()),
		End:           timeOf(s.EndTimestamp()),
		StatusMessage: s.Status().Message(),
		Attributes:    attrMap(s.Attributes(), scopeKeys),
		Resource:      res.attrs,
	}
	if scopeKeys > 0 {
		out.Attributes[keyScopeName] = scope.Name()
		if v := scope.Version(); v != "" {
			out.Attributes[keyScopeVersion] = v
		}
	}
	if p := s.ParentSpanID(); !p.IsEmpty() {
		out.ParentSpanID = p.String()
	}
	out.Status = statusOf(s.Status().Code())
	if evs := s.Events(); evs.Len() > 0 {
		out.Events = make([]analyzer.Event, evs.Len())
		for i := range out.Events {
			e := evs.At(i)
			out.Events[i] = analyzer.Event{Name: e.Name(), Time: timeOf(e.Timestamp()), Attributes: attrMap(e.Attributes(), 0)}
		}
	}
	// OTLP has no FOLLOWS_FROM reference: asynchronous work is a child or
	// a link, so FollowsFrom stays false.
	if ls := s.Links(); ls.Len() > 0 {
		out.Links = make([]analyzer.Link, ls.Len())
		for i := range out.Links {
			l := ls.At(i)
			out.Links[i] = analyzer.Link{TraceID: l.TraceID().String(), SpanID: l.SpanID().String()}
		}
	}
}

func kindOf(k ptrace.SpanKind) analyzer.Kind {
	switch k {
	case ptrace.SpanKindServer:
		return analyzer.KindServer
	case ptrace.SpanKindClient:
		return analyzer.KindClient
	case ptrace.SpanKindInternal:
		return analyzer.KindInternal
	case ptrace.SpanKindProducer:
		return analyzer.KindProducer
	case ptrace.SpanKindConsumer:
		return analyzer.KindConsumer
	}
	return analyzer.KindUnspecified
}

func timeOf(ts pcommon.Timestamp) time.Time {
	if ts == 0 {
		return time.Time{}
	}
	return ts.AsTime()
}

// attrMap converts attributes to the analyzer's values (see valueOf).
func attrMap(attrs pcommon.Map, extra int) map[string]any {
	if attrs.Len()+extra == 0 {
		return nil
	}
	m := make(map[string]any, attrs.Len()+extra)
	fillMap(m, attrs)
	return m
}

func fillMap(m map[string]any, attrs pcommon.Map) {
	for k, v := range attrs.All() {
		m[k] = valueOf(v, true)
	}
}

// valueOf converts a value to one the analyzer's model allows: string,
// bool, int64, float64, or (at the top) []any of those. A map, an array
// inside an array, and bytes become their string form (JSON text, base64);
// an empty value the empty string.
func valueOf(v pcommon.Value, top bool) any {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeBool:
		return v.Bool()
	case pcommon.ValueTypeInt:
		return v.Int()
	case pcommon.ValueTypeDouble:
		return v.Double()
	case pcommon.ValueTypeSlice:
		if !top {
			return v.AsString()
		}
		sl := v.Slice()
		out := make([]any, sl.Len())
		for i := range out {
			out[i] = valueOf(sl.At(i), false)
		}
		return out
	}
	return v.AsString()
}
