package exporters

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// The span flags of OTLP (trace.proto's SpanFlags): whether the parent's
// (or a link's) span context was remote is known, and whether it was.
const (
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// tracesFromSpans converts SDK spans into pdata, as the SDK's OTLP
// exporters convert them into their protobuf types (otlptrace's
// tracetransform, v1.47.0): spans grouped by resource, then by
// instrumentation scope, every field carried over. pdata then marshals
// them with its generated code, not protobuf-go's reflection.
func tracesFromSpans(spans []sdktrace.ReadOnlySpan) ptrace.Traces {
	td := ptrace.NewTraces()
	type group struct {
		res    *resource.Resource
		scope  instrumentation.Scope
		spans  ptrace.SpanSlice
		scopes ptrace.ScopeSpansSlice
	}
	// A process has one resource and a few scopes: a linear search over
	// the groups seen is cheaper than hashing each span's resource.
	var groups []group
	for _, s := range spans {
		if s == nil {
			continue
		}
		res, scope := s.Resource(), s.InstrumentationScope()
		i := -1
		var scopes ptrace.ScopeSpansSlice
		for j := range groups {
			g := &groups[j]
			if g.res != res && g.res.Equivalent() != res.Equivalent() {
				continue
			}
			scopes = g.scopes
			if g.scope == scope {
				i = j
				break
			}
		}
		if i < 0 {
			if scopes == (ptrace.ScopeSpansSlice{}) {
				rs := td.ResourceSpans().AppendEmpty()
				if res != nil {
					rs.SetSchemaUrl(res.SchemaURL())
					putAttributes(rs.Resource().Attributes(), res.Attributes())
				}
				scopes = rs.ScopeSpans()
			}
			ss := scopes.AppendEmpty()
			ss.SetSchemaUrl(scope.SchemaURL)
			ss.Scope().SetName(scope.Name)
			ss.Scope().SetVersion(scope.Version)
			putAttributes(ss.Scope().Attributes(), scope.Attributes.ToSlice())
			groups = append(groups, group{res: res, scope: scope, spans: ss.Spans(), scopes: scopes})
			i = len(groups) - 1
		}
		putSpan(groups[i].spans.AppendEmpty(), s)
	}
	return td
}

func putSpan(p ptrace.Span, s sdktrace.ReadOnlySpan) {
	sc := s.SpanContext()
	p.SetTraceID(pcommon.TraceID(sc.TraceID()))
	p.SetSpanID(pcommon.SpanID(sc.SpanID()))
	p.TraceState().FromRaw(sc.TraceState().String())
	parent := s.Parent()
	if parent.SpanID().IsValid() {
		p.SetParentSpanID(pcommon.SpanID(parent.SpanID()))
	}
	p.SetFlags(spanFlags(sc.TraceFlags(), parent))
	p.SetName(s.Name())
	p.SetKind(spanKind(s.SpanKind()))
	p.SetStartTimestamp(pcommon.NewTimestampFromTime(s.StartTime()))
	p.SetEndTimestamp(pcommon.NewTimestampFromTime(s.EndTime()))
	putAttributes(p.Attributes(), s.Attributes())
	p.SetDroppedAttributesCount(clampUint32(s.DroppedAttributes()))

	if events := s.Events(); len(events) > 0 {
		pe := p.Events()
		pe.EnsureCapacity(len(events))
		for _, e := range events {
			ev := pe.AppendEmpty()
			ev.SetName(e.Name)
			ev.SetTimestamp(pcommon.NewTimestampFromTime(e.Time))
			putAttributes(ev.Attributes(), e.Attributes)
			ev.SetDroppedAttributesCount(clampUint32(e.DroppedAttributeCount))
		}
	}
	p.SetDroppedEventsCount(clampUint32(s.DroppedEvents()))

	if links := s.Links(); len(links) > 0 {
		pl := p.Links()
		pl.EnsureCapacity(len(links))
		for _, l := range links {
			lk := pl.AppendEmpty()
			lk.SetTraceID(pcommon.TraceID(l.SpanContext.TraceID()))
			lk.SetSpanID(pcommon.SpanID(l.SpanContext.SpanID()))
			lk.TraceState().FromRaw(l.SpanContext.TraceState().String())
			lk.SetFlags(spanFlags(l.SpanContext.TraceFlags(), l.SpanContext))
			putAttributes(lk.Attributes(), l.Attributes)
			lk.SetDroppedAttributesCount(clampUint32(l.DroppedAttributeCount))
		}
	}
	p.SetDroppedLinksCount(clampUint32(s.DroppedLinks()))

	st := s.Status()
	switch st.Code {
	case codes.Ok:
		p.Status().SetCode(ptrace.StatusCodeOk)
	case codes.Error:
		p.Status().SetCode(ptrace.StatusCodeError)
	}
	p.Status().SetMessage(st.Description)
}

// spanFlags are the W3C trace flags in the low byte, and whether the
// context (the parent's, or a link's) was remote.
func spanFlags(tf trace.TraceFlags, remote trace.SpanContext) uint32 {
	flags := uint32(tf) | flagHasIsRemote
	if remote.IsRemote() {
		flags |= flagIsRemote
	}
	return flags
}

func spanKind(k trace.SpanKind) ptrace.SpanKind {
	switch k {
	case trace.SpanKindInternal:
		return ptrace.SpanKindInternal
	case trace.SpanKindServer:
		return ptrace.SpanKindServer
	case trace.SpanKindClient:
		return ptrace.SpanKindClient
	case trace.SpanKindProducer:
		return ptrace.SpanKindProducer
	case trace.SpanKindConsumer:
		return ptrace.SpanKindConsumer
	}
	return ptrace.SpanKindUnspecified
}

func clampUint32(v int) uint32 {
	return uint32(min(max(v, 0), math.MaxUint32)) //nolint:gosec // clamped
}

func putAttributes(m pcommon.Map, attrs []attribute.KeyValue) {
	if len(attrs) == 0 {
		return
	}
	m.EnsureCapacity(len(attrs))
	for _, kv := range attrs {
		putValue(m.PutEmpty(string(kv.Key)), kv.Value)
	}
}

// putValue sets v into dst, every attribute type as tracetransform maps it.
func putValue(dst pcommon.Value, v attribute.Value) {
	switch v.Type() {
	case attribute.BOOL:
		dst.SetBool(v.AsBool())
	case attribute.INT64:
		dst.SetInt(v.AsInt64())
	case attribute.FLOAT64:
		dst.SetDouble(v.AsFloat64())
	case attribute.STRING:
		dst.SetStr(v.AsString())
	case attribute.BYTESLICE:
		dst.SetEmptyBytes().FromRaw(v.AsByteSlice())
	case attribute.BOOLSLICE:
		putSlice(dst, v.AsBoolSlice(), pcommon.Value.SetBool)
	case attribute.INT64SLICE:
		putSlice(dst, v.AsInt64Slice(), pcommon.Value.SetInt)
	case attribute.FLOAT64SLICE:
		putSlice(dst, v.AsFloat64Slice(), pcommon.Value.SetDouble)
	case attribute.STRINGSLICE:
		putSlice(dst, v.AsStringSlice(), pcommon.Value.SetStr)
	case attribute.SLICE:
		putSlice(dst, v.AsSlice(), putValue)
	case attribute.MAP:
		putAttributes(dst.SetEmptyMap(), v.AsMap())
	case attribute.EMPTY:
	default:
		dst.SetStr("INVALID")
	}
}

// putSlice sets dst to a slice of the items, each set by set.
func putSlice[T any](dst pcommon.Value, items []T, set func(pcommon.Value, T)) {
	s := dst.SetEmptySlice()
	for _, item := range items {
		set(s.AppendEmpty(), item)
	}
}
