package tracejson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/failhop/failhop/analyzer"
)

// Jaeger's query API JSON (its "UI model").

type jError struct {
	Code    json.Number `json:"code"`
	Msg     string      `json:"msg"`
	TraceID string      `json:"traceID"`
}

type jTrace struct {
	TraceID   string              `json:"traceID"`
	Spans     []jSpan             `json:"spans"`
	Processes map[string]jProcess `json:"processes"`
}

type jSpan struct {
	TraceID       string          `json:"traceID"`
	SpanID        string          `json:"spanID"`
	ParentSpanID  string          `json:"parentSpanID"` // deprecated by references
	OperationName string          `json:"operationName"`
	References    []jRef          `json:"references"`
	StartTime     json.RawMessage `json:"startTime"` // µs since the epoch
	Duration      json.RawMessage `json:"duration"`  // µs
	Tags          []jKV           `json:"tags"`
	Logs          []jLog          `json:"logs"`
	ProcessID     string          `json:"processID"`
	Process       *jProcess       `json:"process"` // inline, in some exports
}

type jRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type jProcess struct {
	ServiceName string `json:"serviceName"`
	Tags        []jKV  `json:"tags"`
}

type jLog struct {
	Timestamp json.RawMessage `json:"timestamp"` // µs
	Fields    []jKV           `json:"fields"`
}

type jKV struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// The tags that Jaeger uses to carry OpenTelemetry span fields; they become
// the Span's fields and are left out of its attributes.
const (
	tagSpanKind   = "span.kind"
	tagStatusCode = "otel.status_code"
	tagStatusDesc = "otel.status_description"
	tagError      = "error"
)

func (c *collector) jaegerResponse(top map[string]json.RawMessage) ([]error, error) {
	var resp struct {
		Data   json.RawMessage
		Errors []jError
	}
	resp.Data = get(top, "data")
	if e := get(top, "errors"); e != nil {
		if err := unmarshal(e, &resp.Errors); err != nil {
			return nil, fmt.Errorf("Jaeger JSON: \"errors\": %w", err)
		}
	}
	var apiErrs []error
	for _, e := range resp.Errors {
		code, _ := strconv.Atoi(string(e.Code))
		apiErrs = append(apiErrs, &APIError{Code: code, Message: e.Msg, TraceID: e.TraceID})
	}
	_, isNull := scalarString(resp.Data)
	switch {
	case isNull:
		return apiErrs, nil
	case strings.HasPrefix(strings.TrimSpace(string(resp.Data)), "{"):
		// A single trace rather than a list.
		return apiErrs, c.jaegerTrace(resp.Data)
	case !strings.HasPrefix(strings.TrimSpace(string(resp.Data)), "["):
		return nil, fmt.Errorf("Jaeger JSON: \"data\" is %s, not a list of traces", kindOf([]byte(strings.TrimSpace(string(resp.Data)))))
	}
	var traces []json.RawMessage
	if err := unmarshal(resp.Data, &traces); err != nil {
		return nil, fmt.Errorf("Jaeger JSON: %w", err)
	}
	for i, t := range traces {
		if err := c.jaegerTrace(t); err != nil {
			return nil, fmt.Errorf("Jaeger JSON: data[%d]: %w", i, err)
		}
	}
	return apiErrs, nil
}

func (c *collector) jaegerTrace(raw json.RawMessage) error {
	var t jTrace
	if err := unmarshal(raw, &t); err != nil {
		return err
	}
	// Processes are shared by their spans, and so are their maps.
	type proc struct {
		service  string
		resource map[string]any
	}
	procs := make(map[string]proc, len(t.Processes))
	mkProc := func(p jProcess) proc {
		res := make(map[string]any, len(p.Tags)+1)
		for _, kv := range p.Tags {
			res[kv.Key] = jaegerValue(kv)
		}
		if p.ServiceName != "" {
			res["service.name"] = p.ServiceName
		}
		return proc{service: p.ServiceName, resource: res}
	}
	for id, p := range t.Processes {
		procs[id] = mkProc(p)
	}
	for i, js := range t.Spans {
		tid := js.TraceID
		if tid == "" {
			tid = t.TraceID
		}
		traceID, err := NormalizeTraceID(tid)
		if err != nil {
			return fmt.Errorf("span %d: %w", i, err)
		}
		s, err := jaegerSpan(traceID, &js)
		if err != nil {
			return fmt.Errorf("span %d (%s): %w", i, js.SpanID, err)
		}
		var p proc
		if js.Process != nil {
			p = mkProc(*js.Process)
		} else {
			p = procs[js.ProcessID] // a missing process leaves service and resource empty
		}
		s.Service, s.Resource = p.service, p.resource
		c.add(traceID, s)
	}
	return nil
}

// jaegerSpan converts one span of a Jaeger trace to the analyzer's model;
// the caller fills in its service and resource from the process.
func jaegerSpan(traceID string, js *jSpan) (*analyzer.Span, error) {
	spanID, err := NormalizeSpanID(js.SpanID)
	if err != nil {
		return nil, err
	}
	s := &analyzer.Span{SpanID: spanID, Name: js.OperationName}
	if err := setJaegerTimes(s, js); err != nil {
		return nil, err
	}
	if err := setJaegerReferences(s, traceID, js); err != nil {
		return nil, err
	}
	setJaegerTags(s, js.Tags)
	if s.Events, err = jaegerEvents(js.Logs); err != nil {
		return nil, err
	}
	return s, nil
}

// setJaegerTimes sets the span's start and end from its start time and
// duration, both in microseconds.
func setJaegerTimes(s *analyzer.Span, js *jSpan) error {
	var err error
	if s.Start, err = unixNanos(js.StartTime, 1000, "startTime"); err != nil {
		return err
	}
	dur, _, err := uintOf(js.Duration)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	if !s.Start.IsZero() {
		if dur > uint64(1<<62)/1000 {
			return errors.New("duration: out of range")
		}
		s.End = s.Start.Add(timeMicros(dur))
	}
	return nil
}

// setJaegerReferences sets the span's parent and links from its
// references: the parent is the first CHILD_OF reference in the same trace,
// else the first FOLLOWS_FROM one there; every other reference is a link.
func setJaegerReferences(s *analyzer.Span, traceID string, js *jSpan) error {
	parent := firstReference(js.References, "CHILD_OF", traceID)
	if parent < 0 {
		parent = firstReference(js.References, "FOLLOWS_FROM", traceID)
		s.FollowsFrom = parent >= 0
	}
	for i, r := range js.References {
		sid, err := NormalizeSpanID(r.SpanID)
		if err != nil {
			return fmt.Errorf("reference %d: %w", i, err)
		}
		if i == parent {
			s.ParentSpanID = sid
			continue
		}
		tid := traceID
		if r.TraceID != "" {
			if tid, err = NormalizeTraceID(r.TraceID); err != nil {
				return fmt.Errorf("reference %d: %w", i, err)
			}
		}
		s.Links = append(s.Links, analyzer.Link{TraceID: tid, SpanID: sid})
	}
	if parent < 0 && js.ParentSpanID != "" {
		// Old exports carry the parent in the deprecated field only.
		if pid, err := NormalizeSpanID(js.ParentSpanID); err == nil && !isZeroID(pid) {
			s.ParentSpanID = pid
		}
	}
	return nil
}

// firstReference returns the index of the first reference of the type in
// the trace, or -1.
func firstReference(refs []jRef, refType, traceID string) int {
	for i, r := range refs {
		if strings.EqualFold(r.RefType, refType) && sameTrace(r.TraceID, traceID) {
			return i
		}
	}
	return -1
}

// setJaegerTags sets the span's kind, status and attributes from its tags.
func setJaegerTags(s *analyzer.Span, tags []jKV) {
	s.Attributes = make(map[string]any, len(tags))
	legacyError := false
	for _, kv := range tags {
		v := jaegerValue(kv)
		switch kv.Key {
		case tagSpanKind:
			s.Kind = kindOfName(fmt.Sprint(v))
			continue
		case tagStatusCode:
			switch strings.ToUpper(fmt.Sprint(v)) {
			case "ERROR":
				s.Status = analyzer.StatusError
			case "OK":
				s.Status = analyzer.StatusOK
			}
			continue
		case tagStatusDesc:
			s.StatusMessage = fmt.Sprint(v)
			continue
		case tagError:
			if b, ok := v.(bool); ok && b || v == "true" {
				legacyError = true
			}
		}
		s.Attributes[kv.Key] = v
	}
	switch {
	case s.Status == analyzer.StatusUnset && legacyError:
		s.Status = analyzer.StatusError
	case s.Status == analyzer.StatusError && s.Attributes[tagError] == true:
		// Jaeger adds error=true to spans it converts from OTLP with an
		// error status; the status says it already, as it does in OTLP.
		delete(s.Attributes, tagError)
	}
}

// jaegerEvents converts a span's logs to events: a log's "event" field is
// the event's name.
func jaegerEvents(logs []jLog) ([]analyzer.Event, error) {
	var events []analyzer.Event
	for i, l := range logs {
		t, err := unixNanos(l.Timestamp, 1000, fmt.Sprintf("logs[%d].timestamp", i))
		if err != nil {
			return nil, err
		}
		ev := analyzer.Event{Time: t, Attributes: make(map[string]any, len(l.Fields))}
		for _, kv := range l.Fields {
			v := jaegerValue(kv)
			if kv.Key == "event" && ev.Name == "" {
				if name, ok := v.(string); ok {
					ev.Name = name
					continue
				}
			}
			ev.Attributes[kv.Key] = v
		}
		events = append(events, ev)
	}
	return events, nil
}

func timeMicros(us uint64) time.Duration { return time.Duration(us) * time.Microsecond }

func sameTrace(refTraceID, traceID string) bool {
	if refTraceID == "" {
		return true
	}
	id, err := NormalizeTraceID(refTraceID)
	return err == nil && id == traceID
}

// kindOfName maps a span kind name (Jaeger's "server", OTLP's
// "SPAN_KIND_SERVER") to the model's Kind.
func kindOfName(name string) analyzer.Kind {
	switch strings.TrimPrefix(strings.ToLower(name), "span_kind_") {
	case "server":
		return analyzer.KindServer
	case "client":
		return analyzer.KindClient
	case "internal":
		return analyzer.KindInternal
	case "producer":
		return analyzer.KindProducer
	case "consumer":
		return analyzer.KindConsumer
	}
	return analyzer.KindUnspecified
}

// jaegerValue converts a Jaeger tag value by its declared type. Jaeger
// writes int64 values as JSON numbers, or as strings when they exceed what
// JavaScript can hold exactly; both keep their precision here. Binary
// values stay as the base64 text Jaeger sends.
func jaegerValue(kv jKV) any {
	switch strings.ToLower(kv.Type) {
	case "string":
		if s, ok := kv.Value.(string); ok {
			return s
		}
		if kv.Value == nil {
			return ""
		}
		return fmt.Sprint(plain(kv.Value))
	case "bool":
		switch v := kv.Value.(type) {
		case bool:
			return v
		case string:
			if b, err := strconv.ParseBool(v); err == nil {
				return b
			}
		}
	case "int64":
		switch v := kv.Value.(type) {
		case json.Number:
			if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				return i
			}
		case string:
			if i, err := strconv.ParseInt(v, 10, 64); err == nil {
				return i
			}
		}
	case "float64":
		switch v := kv.Value.(type) {
		case json.Number:
			if f, err := strconv.ParseFloat(string(v), 64); err == nil {
				return f
			}
		case string:
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return f
			}
		}
	}
	return plain(kv.Value)
}
