package failhopprocessor

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/failhop/failhop/analyzer"
)

// The attributes the processor writes. It removes them from incoming spans
// first: only the processor sets them.
const (
	// KeyRootCause (bool true) marks the origin span of a fatal hop.
	KeyRootCause = "failhop.root_cause"
	// KeyRootCauseRank (int) is the hop's rank, 1 for the most likely.
	KeyRootCauseRank = "failhop.root_cause.rank"
	// KeyFailingHop (string) on the root span is hop 1 in words.
	KeyFailingHop = "failhop.failing_hop"
	// KeyFailingHopCause (string) on the root span is hop 1's cause.
	KeyFailingHopCause = "failhop.failing_hop.cause"
)

type failhop struct {
	seen *recentTraces
}

func (p *failhop) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	mark(td, p.seen)
	return td, nil
}

// Mark analyzes every failed trace in td and writes the marks onto its
// spans, in place. It returns how many traces it marked. td should hold
// whole traces (see the package doc); spans of several traces may be
// mixed, in any order.
func Mark(td ptrace.Traces) int { return mark(td, nil) }

// mark is Mark, skipping the traces that seen says were already processed:
// their spans in td came after the trace was released (tail sampling
// forwards late spans one batch at a time), and a part of a trace cannot
// tell what broke the whole request. A nil seen skips nothing.
func mark(td ptrace.Traces, seen *recentTraces) int {
	// Pass 1: clear marks a service may have set, and find the traces that
	// have a failed span. Without one, the root cannot have failed.
	var failing map[pcommon.TraceID]*group
	var batch []pcommon.TraceID // every trace of td, to remember after
	defer func() { seen.add(batch) }()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				clearMarks(s.Attributes())
				if n := len(batch); seen != nil && (n == 0 || batch[n-1] != s.TraceID()) {
					batch = append(batch, s.TraceID()) // a trace's spans mostly come together
				}
				if spanFailed(s) {
					if failing == nil {
						failing = make(map[pcommon.TraceID]*group, 1)
					}
					failing[s.TraceID()] = nil
				}
			}
		}
	}
	if failing == nil {
		return 0
	}

	// Pass 2: convert the spans of the failing traces. The spans come from
	// one arena; the attribute maps from a pool, returned when done.
	c := &converter{arena: make([]analyzer.Span, 0, min(td.SpanCount(), arenaChunk))}
	defer c.release()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		var res *resource
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				tid := s.TraceID()
				g, ok := failing[tid]
				if !ok {
					continue
				}
				if g == nil {
					g = &group{trace: analyzer.Trace{TraceID: tid.String()}}
					failing[tid] = g
				}
				if res == nil {
					res = c.resource(rs.Resource().Attributes())
				}
				g.trace.Spans = append(g.trace.Spans, c.span(s, res))
				g.spans = append(g.spans, s)
			}
		}
	}

	// Analyze and mark the traces seen for the first time.
	marked := 0
	for tid, g := range failing {
		if seen.contains(tid) {
			continue
		}
		if g.mark(analyzer.Analyze(&g.trace)) {
			marked++
		}
	}
	return marked
}

// group is one trace: its spans for the analyzer, and the same spans in
// pdata, index for index.
type group struct {
	trace analyzer.Trace
	spans []ptrace.Span
}

// mark writes the report's marks onto the trace's spans.
func (g *group) mark(r analyzer.Report) bool {
	if !r.Failed || len(r.Hops) == 0 {
		return false
	}
	for _, h := range r.Hops {
		for i, s := range g.trace.Spans {
			if s.SpanID != h.SpanID {
				continue
			}
			attrs := g.spans[i].Attributes()
			if _, done := attrs.Get(KeyRootCauseRank); done {
				continue // a span that is two hops keeps its best rank
			}
			attrs.PutBool(KeyRootCause, true)
			attrs.PutInt(KeyRootCauseRank, int64(h.Rank))
		}
	}
	for i, s := range g.trace.Spans {
		if s.SpanID == r.Root.SpanID {
			attrs := g.spans[i].Attributes()
			attrs.PutStr(KeyFailingHop, r.Hops[0].Description)
			attrs.PutStr(KeyFailingHopCause, r.Hops[0].Cause)
			break
		}
	}
	return true
}

// clearMarks removes the processor's own keys from a span's attributes.
func clearMarks(attrs pcommon.Map) {
	found := false
	attrs.Range(func(k string, _ pcommon.Value) bool {
		found = isMark(k)
		return !found
	})
	if found {
		attrs.RemoveIf(func(k string, _ pcommon.Value) bool { return isMark(k) })
	}
}

func isMark(k string) bool {
	if !strings.HasPrefix(k, "failhop.") {
		return false
	}
	switch k {
	case KeyRootCause, KeyRootCauseRank, KeyFailingHop, KeyFailingHopCause:
		return true
	}
	return false
}

// spanFailed is the analyzer's test of a failed span, on pdata: status
// Error, the legacy error=true attribute, or, with the status left unset, a
// server span with an HTTP 5xx or a gRPC server-fault code. A test checks
// it against analyzer.Analyze.
func spanFailed(s ptrace.Span) bool {
	code := s.Status().Code()
	if code == ptrace.StatusCodeError {
		return true
	}
	attrs := s.Attributes()
	if v, ok := attrs.Get("error"); ok {
		switch v.Type() {
		case pcommon.ValueTypeBool:
			if v.Bool() {
				return true
			}
		case pcommon.ValueTypeStr:
			if v.Str() == "true" {
				return true
			}
		}
	}
	if code == ptrace.StatusCodeOk || s.Kind() != ptrace.SpanKindServer {
		return false
	}
	if n, _ := intAttr(attrs, "http.response.status_code", "http.status_code"); n >= 500 {
		return true
	}
	n, ok := intAttr(attrs, "rpc.grpc.status_code", "rpc.response.status_code")
	if !ok {
		return false
	}
	switch n {
	case 2, 4, 12, 13, 14, 15: // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS
		return true
	}
	return false
}

// intAttr reads an integer as the analyzer does: the first of the keys
// that holds a number or a string.
func intAttr(attrs pcommon.Map, keys ...string) (int, bool) {
	for _, k := range keys {
		v, ok := attrs.Get(k)
		if !ok {
			continue
		}
		switch v.Type() {
		case pcommon.ValueTypeInt:
			return int(v.Int()), true
		case pcommon.ValueTypeDouble:
			return int(v.Double()), true
		case pcommon.ValueTypeStr:
			n, err := strconv.Atoi(v.Str())
			return n, err == nil
		}
	}
	return 0, false
}

// converter converts spans for one call of Mark, reusing memory: the
// analyzer's spans come from an arena, attribute maps from a pool.
type converter struct {
	arena []analyzer.Span
	maps  []map[string]any
}

// arenaChunk is how many spans an arena chunk holds.
const arenaChunk = 256

var mapPool = sync.Pool{New: func() any { return make(map[string]any, 16) }}

func (c *converter) span(s ptrace.Span, res *resource) *analyzer.Span {
	if len(c.arena) == cap(c.arena) {
		// Spans already handed out keep pointing into the full chunk.
		c.arena = make([]analyzer.Span, 0, arenaChunk)
	}
	c.arena = append(c.arena, analyzer.Span{})
	out := &c.arena[len(c.arena)-1]
	convertInto(out, s, res, c.attrMap)
	return out
}

func (c *converter) resource(attrs pcommon.Map) *resource {
	return newResourceWith(attrs, c.attrMap)
}

func (c *converter) attrMap(attrs pcommon.Map) map[string]any {
	if attrs.Len() == 0 {
		return nil
	}
	m := mapPool.Get().(map[string]any)
	c.maps = append(c.maps, m)
	fillMap(m, attrs)
	return m
}

// release returns the maps to the pool. The analyzer's report holds no
// map of the trace, only strings.
func (c *converter) release() {
	for _, m := range c.maps {
		clear(m)
		mapPool.Put(m)
	}
	c.maps = nil
}

// resource is a converted resource, shared by its spans.
type resource struct {
	service string
	attrs   map[string]any
}

func newResource(attrs pcommon.Map) *resource { return newResourceWith(attrs, attrMap) }

func newResourceWith(attrs pcommon.Map, attrMap func(pcommon.Map) map[string]any) *resource {
	r := &resource{attrs: attrMap(attrs)}
	if v, ok := attrs.Get("service.name"); ok {
		r.service = v.AsString()
	}
	return r
}

// convert turns a pdata span into the analyzer's model.
func convert(s ptrace.Span, res *resource) *analyzer.Span {
	out := &analyzer.Span{}
	convertInto(out, s, res, attrMap)
	return out
}

func convertInto(out *analyzer.Span, s ptrace.Span, res *resource, attrMap func(pcommon.Map) map[string]any) {
	*out = analyzer.Span{
		SpanID:        s.SpanID().String(),
		Service:       res.service,
		Name:          s.Name(),
		Kind:          kindOf(s.Kind()),
		Start:         timeOf(s.StartTimestamp()),
		End:           timeOf(s.EndTimestamp()),
		StatusMessage: s.Status().Message(),
		Attributes:    attrMap(s.Attributes()),
		Resource:      res.attrs,
	}
	if p := s.ParentSpanID(); !p.IsEmpty() {
		out.ParentSpanID = p.String()
	}
	switch s.Status().Code() {
	case ptrace.StatusCodeError:
		out.Status = analyzer.StatusError
	case ptrace.StatusCodeOk:
		out.Status = analyzer.StatusOK
	}
	if evs := s.Events(); evs.Len() > 0 {
		out.Events = make([]analyzer.Event, evs.Len())
		for i := range out.Events {
			e := evs.At(i)
			out.Events[i] = analyzer.Event{Name: e.Name(), Time: timeOf(e.Timestamp()), Attributes: attrMap(e.Attributes())}
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

// attrMap converts attributes to the analyzer's values: string, bool,
// int64, float64, []any of those; maps and bytes as their string form.
func attrMap(attrs pcommon.Map) map[string]any {
	if attrs.Len() == 0 {
		return nil
	}
	m := make(map[string]any, attrs.Len())
	fillMap(m, attrs)
	return m
}

func fillMap(m map[string]any, attrs pcommon.Map) {
	for k, v := range attrs.All() {
		if x := valueOf(v); x != nil {
			m[k] = x
		}
	}
}

func valueOf(v pcommon.Value) any {
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
		sl := v.Slice()
		out := make([]any, 0, sl.Len())
		for i := 0; i < sl.Len(); i++ {
			if x := valueOf(sl.At(i)); x != nil {
				out = append(out, x)
			}
		}
		return out
	case pcommon.ValueTypeMap, pcommon.ValueTypeBytes:
		return v.AsString()
	}
	return nil
}

// recentTraces remembers the IDs of the last traces the processor saw, at
// most a fixed number, the oldest forgotten first. It is safe for
// concurrent use; a nil *recentTraces remembers nothing.
type recentTraces struct {
	mu   sync.Mutex
	ids  map[pcommon.TraceID]struct{}
	ring []pcommon.TraceID // insertion order, to forget the oldest
	next int
}

// rememberedTraces is how many trace IDs the processor remembers: as many
// as tail sampling holds by default (num_traces), so that a trace's late
// spans are recognised while they can still come.
const rememberedTraces = 100_000

func newRecentTraces(n int) *recentTraces {
	return &recentTraces{ids: make(map[pcommon.TraceID]struct{}, n), ring: make([]pcommon.TraceID, 0, n)}
}

func (r *recentTraces) contains(id pcommon.TraceID) bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.ids[id]
	return ok
}

// add remembers ids (repeats are fine).
func (r *recentTraces) add(ids []pcommon.TraceID) {
	if r == nil || len(ids) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if _, ok := r.ids[id]; ok {
			continue
		}
		if len(r.ring) < cap(r.ring) {
			r.ring = append(r.ring, id)
		} else {
			delete(r.ids, r.ring[r.next])
			r.ring[r.next] = id
			r.next = (r.next + 1) % len(r.ring)
		}
		r.ids[id] = struct{}{}
	}
}
