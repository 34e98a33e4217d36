// Package ptracetest builds pdata traces for tests: from analyzer traces
// (the fixtures, the generated big shapes), so that one trace can be fed
// to the CLI as JSON and to the collector as OTLP.
package ptracetest

import (
	"encoding/hex"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/failhop/failhop/analyzer"
)

// FromAnalyzer builds pdata from an analyzer trace: one ResourceSpans per
// resource.
func FromAnalyzer(tr *analyzer.Trace) ptrace.Traces {
	td := ptrace.NewTraces()
	type key struct {
		svc string
		res string
	}
	byRes := map[key]ptrace.SpanSlice{}
	for _, s := range tr.Spans {
		k := key{s.Service, fmt.Sprint(s.Resource)}
		ss, ok := byRes[k]
		if !ok {
			rs := td.ResourceSpans().AppendEmpty()
			must(rs.Resource().Attributes().FromRaw(s.Resource))
			rs.Resource().Attributes().PutStr("service.name", s.Service)
			ss = rs.ScopeSpans().AppendEmpty().Spans()
			byRes[k] = ss
		}
		p := ss.AppendEmpty()
		p.SetTraceID(pcommon.TraceID(hexBytes(tr.TraceID, 16)))
		p.SetSpanID(pcommon.SpanID(hexBytes(s.SpanID, 8)))
		if s.ParentSpanID != "" {
			p.SetParentSpanID(pcommon.SpanID(hexBytes(s.ParentSpanID, 8)))
		}
		p.SetName(s.Name)
		p.SetKind(map[analyzer.Kind]ptrace.SpanKind{
			analyzer.KindServer: ptrace.SpanKindServer, analyzer.KindClient: ptrace.SpanKindClient, analyzer.KindInternal: ptrace.SpanKindInternal,
			analyzer.KindProducer: ptrace.SpanKindProducer, analyzer.KindConsumer: ptrace.SpanKindConsumer,
		}[s.Kind])
		if !s.Start.IsZero() {
			p.SetStartTimestamp(pcommon.NewTimestampFromTime(s.Start))
		}
		if !s.End.IsZero() {
			p.SetEndTimestamp(pcommon.NewTimestampFromTime(s.End))
		}
		switch s.Status {
		case analyzer.StatusError:
			p.Status().SetCode(ptrace.StatusCodeError)
		case analyzer.StatusOK:
			p.Status().SetCode(ptrace.StatusCodeOk)
		}
		p.Status().SetMessage(s.StatusMessage)
		must(p.Attributes().FromRaw(s.Attributes))
		for _, e := range s.Events {
			pe := p.Events().AppendEmpty()
			pe.SetName(e.Name)
			pe.SetTimestamp(pcommon.NewTimestampFromTime(e.Time))
			must(pe.Attributes().FromRaw(e.Attributes))
		}
		for _, l := range s.Links {
			pl := p.Links().AppendEmpty()
			pl.SetTraceID(pcommon.TraceID(hexBytes(l.TraceID, 16)))
			pl.SetSpanID(pcommon.SpanID(hexBytes(l.SpanID, 8)))
		}
	}
	return td
}

func hexBytes(s string, n int) []byte {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != n {
		panic(fmt.Sprintf("bad ID %q", s))
	}
	return b
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
