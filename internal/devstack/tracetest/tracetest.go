// Package tracetest builds traces for tests and benchmarks: big and
// hostile shapes generated in the test (never committed), and the Jaeger
// JSON that the CLI reads.
package tracetest

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/failhop/failhop/analyzer"
)

// Epoch is when the generated traces start.
var Epoch = time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)

// Mixed builds a trace of n spans: a root fanning out to services, each
// with a chain of calls and queries, and one failing branch deep inside,
// plus scattered non-fatal errors. With silent, the calls and handlers
// record no status (internal spans, status Unset, as express's request
// handler spans): the walk must look below every branch for the failure.
func Mixed(n int, silent bool) *analyzer.Trace {
	t := &analyzer.Trace{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
	start := Epoch
	add := func(parent *analyzer.Span, svc, name string, kind analyzer.Kind, fail bool) *analyzer.Span {
		s := &analyzer.Span{
			SpanID: fmt.Sprintf("%016x", len(t.Spans)+1), Service: svc, Name: name, Kind: kind,
			Start:      start.Add(time.Duration(len(t.Spans)) * time.Microsecond),
			End:        start.Add(time.Duration(len(t.Spans)+1000) * time.Microsecond),
			Attributes: map[string]any{"http.response.status_code": int64(200)},
		}
		if parent != nil {
			s.ParentSpanID = parent.SpanID
		}
		switch {
		case silent && parent != nil && kind != analyzer.KindClient:
			s.Kind, s.Attributes = analyzer.KindInternal, map[string]any{}
		case silent && parent != nil && !fail:
			s.Attributes = map[string]any{}
		case fail:
			s.Status = analyzer.StatusError
			s.Attributes["http.response.status_code"] = int64(500)
		}
		t.Spans = append(t.Spans, s)
		return s
	}
	root := add(nil, "gateway", "GET /checkout", analyzer.KindServer, true)
	for branch := 0; len(t.Spans) < n; branch++ {
		failing := branch == 7
		svc := fmt.Sprintf("svc-%d", branch%40)
		c := add(root, "gateway", "GET", analyzer.KindClient, failing && !silent)
		c.Attributes["url.full"] = fmt.Sprintf("http://%s/work/%d", svc, branch)
		s := add(c, svc, "GET /work", analyzer.KindServer, failing && !silent)
		for i := 0; i < 20 && len(t.Spans) < n; i++ {
			q := add(s, svc, "SELECT things", analyzer.KindClient, failing && i == 19 || i == 3)
			q.Attributes["db.system.name"] = "postgresql"
		}
	}
	return t
}

// Chain builds a failing chain of n spans, each the child of the
// one before, alternating client and server spans of two services: the
// depth of a runaway recursion.
func Chain(n int) *analyzer.Trace {
	t := &analyzer.Trace{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Spans: make([]*analyzer.Span, n)}
	for i := range n {
		s := &analyzer.Span{
			SpanID: fmt.Sprintf("%016x", i+1), Service: fmt.Sprintf("svc-%d", i/2%2), Name: "GET /recurse", Kind: analyzer.KindServer,
			Start: Epoch.Add(time.Duration(i) * time.Microsecond), End: Epoch.Add(time.Duration(2*n-i) * time.Microsecond),
			Status: analyzer.StatusError, Attributes: map[string]any{"http.response.status_code": int64(500)},
		}
		if i%2 == 1 {
			s.Kind, s.Service = analyzer.KindClient, t.Spans[i-1].Service
		}
		if i > 0 {
			s.ParentSpanID = t.Spans[i-1].SpanID
		}
		t.Spans[i] = s
	}
	return t
}

// FanOut builds a root that made n-1 calls in parallel, every one
// failed, each to its own peer: a flat fan-out.
func FanOut(n int) *analyzer.Trace {
	t := &analyzer.Trace{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Spans: make([]*analyzer.Span, n)}
	for i := range n {
		s := &analyzer.Span{
			SpanID: fmt.Sprintf("%016x", i+1), Service: "gateway", Name: "GET /all", Kind: analyzer.KindServer,
			Start: Epoch, End: Epoch.Add(time.Second),
			Status: analyzer.StatusError, Attributes: map[string]any{"http.response.status_code": int64(500)},
		}
		if i > 0 {
			s.Name, s.Kind, s.ParentSpanID = "GET", analyzer.KindClient, t.Spans[0].SpanID
			s.Start = s.Start.Add(time.Duration(i) * time.Microsecond)
			s.Attributes["url.full"] = fmt.Sprintf("http://peer-%d/item", i)
		}
		t.Spans[i] = s
	}
	return t
}

// jaegerTag is a tag of Jaeger's JSON.
type jaegerTag struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

func jaegerTags(m map[string]any) []jaegerTag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tags := make([]jaegerTag, 0, len(m))
	for _, k := range keys {
		switch v := m[k].(type) {
		case bool:
			tags = append(tags, jaegerTag{k, "bool", v})
		case int64:
			tags = append(tags, jaegerTag{k, "int64", v})
		case float64:
			tags = append(tags, jaegerTag{k, "float64", v})
		default:
			tags = append(tags, jaegerTag{k, "string", fmt.Sprint(v)})
		}
	}
	return tags
}

// JaegerJSON encodes a trace as the Jaeger query API (and the UI's
// "Download JSON") does.
func JaegerJSON(t *analyzer.Trace) ([]byte, error) {
	processes := map[string]jaegerProcess{}
	pids := map[string]string{} // service/version → process ID
	var spans []jaegerSpan
	for _, s := range t.Spans {
		key := s.Service + "/" + fmt.Sprint(s.Resource["service.version"])
		pid, ok := pids[key]
		if !ok {
			pid = fmt.Sprintf("p%d", len(pids)+1)
			pids[key] = pid
			processes[pid] = newJaegerProcess(s)
		}
		spans = append(spans, newJaegerSpan(t.TraceID, s, pid))
	}
	doc := map[string]any{"data": []any{map[string]any{"traceID": t.TraceID, "spans": spans, "processes": processes}}}
	return json.MarshalIndent(doc, "", "  ")
}

// The documents of the Jaeger query API.
type (
	jaegerRef struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	}
	jaegerLog struct {
		Timestamp int64       `json:"timestamp"`
		Fields    []jaegerTag `json:"fields"`
	}
	jaegerSpan struct {
		TraceID       string      `json:"traceID"`
		SpanID        string      `json:"spanID"`
		OperationName string      `json:"operationName"`
		References    []jaegerRef `json:"references"`
		StartTime     int64       `json:"startTime"`
		Duration      int64       `json:"duration"`
		Tags          []jaegerTag `json:"tags"`
		Logs          []jaegerLog `json:"logs"`
		ProcessID     string      `json:"processID"`
	}
	jaegerProcess struct {
		ServiceName string      `json:"serviceName"`
		Tags        []jaegerTag `json:"tags"`
	}
)

// newJaegerProcess is the process of the span's service: its resource but
// the service name, as tags.
func newJaegerProcess(s *analyzer.Span) jaegerProcess {
	res := map[string]any{}
	for k, v := range s.Resource {
		if k != "service.name" {
			res[k] = v
		}
	}
	return jaegerProcess{ServiceName: s.Service, Tags: jaegerTags(res)}
}

// newJaegerSpan encodes the span of the trace, its process pid.
func newJaegerSpan(traceID string, s *analyzer.Span, pid string) jaegerSpan {
	tags := map[string]any{}
	for k, v := range s.Attributes {
		tags[k] = v
	}
	if s.Kind != analyzer.KindUnspecified && s.Kind != analyzer.KindInternal {
		tags["span.kind"] = string(s.Kind)
	}
	if s.Status == analyzer.StatusError {
		tags["otel.status_code"] = "ERROR"
	}
	if s.StatusMessage != "" {
		tags["otel.status_description"] = s.StatusMessage
	}
	js := jaegerSpan{
		TraceID: traceID, SpanID: s.SpanID, OperationName: s.Name, ProcessID: pid,
		StartTime: s.Start.UnixMicro(), Duration: s.End.Sub(s.Start).Microseconds(), Tags: jaegerTags(tags),
		References: []jaegerRef{}, Logs: []jaegerLog{},
	}
	if s.ParentSpanID != "" {
		refType := "CHILD_OF"
		if s.FollowsFrom {
			refType = "FOLLOWS_FROM"
		}
		js.References = append(js.References, jaegerRef{refType, traceID, s.ParentSpanID})
	}
	for _, e := range s.Events {
		fields := map[string]any{"event": e.Name}
		for k, v := range e.Attributes {
			fields[k] = v
		}
		js.Logs = append(js.Logs, jaegerLog{Timestamp: e.Time.UnixMicro(), Fields: jaegerTags(fields)})
	}
	return js
}
