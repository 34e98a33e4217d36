package tracejson

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/failhop/failhop/analyzer"
)

// OTLP JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
// lowerCamelCase field names, trace and span IDs as hex strings, 64-bit
// integers as decimal strings, enums as integers (names are accepted too).

type oTracesData struct {
	ResourceSpans []oResourceSpans `json:"resourceSpans"`
}

type oResourceSpans struct {
	Resource   oResource     `json:"resource"`
	ScopeSpans []oScopeSpans `json:"scopeSpans"`
	// The name before OTLP 0.15, still written by some old exporters.
	InstrumentationLibrarySpans []oScopeSpans `json:"instrumentationLibrarySpans"`
}

type oResource struct {
	Attributes []oKV `json:"attributes"`
}

type oScopeSpans struct {
	Scope *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"scope"`
	Spans []oSpan `json:"spans"`
}

type oSpan struct {
	TraceID           string          `json:"traceId"`
	SpanID            string          `json:"spanId"`
	ParentSpanID      string          `json:"parentSpanId"`
	Name              string          `json:"name"`
	Kind              json.RawMessage `json:"kind"`
	StartTimeUnixNano json.RawMessage `json:"startTimeUnixNano"`
	EndTimeUnixNano   json.RawMessage `json:"endTimeUnixNano"`
	Attributes        []oKV           `json:"attributes"`
	Events            []oEvent        `json:"events"`
	Links             []oLink         `json:"links"`
	Status            *oStatus        `json:"status"`
}

type oEvent struct {
	TimeUnixNano json.RawMessage `json:"timeUnixNano"`
	Name         string          `json:"name"`
	Attributes   []oKV           `json:"attributes"`
}

type oLink struct {
	TraceID string `json:"traceId"`
	SpanID  string `json:"spanId"`
}

type oStatus struct {
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
}

type oKV struct {
	Key   string  `json:"key"`
	Value oAnyVal `json:"value"`
}

type oAnyVal struct {
	StringValue *string         `json:"stringValue"`
	BoolValue   *bool           `json:"boolValue"`
	IntValue    json.RawMessage `json:"intValue"`
	DoubleValue json.RawMessage `json:"doubleValue"`
	ArrayValue  *struct {
		Values []oAnyVal `json:"values"`
	} `json:"arrayValue"`
	KvlistValue *struct {
		Values []oKV `json:"values"`
	} `json:"kvlistValue"`
	BytesValue *string `json:"bytesValue"` // base64, kept as such
}

func (c *collector) otlp(raw json.RawMessage) error {
	if _, isNull := scalarString(raw); isNull {
		return nil // {"result": null}: no spans
	} else if t := strings.TrimSpace(string(raw)); !strings.HasPrefix(t, "{") {
		return fmt.Errorf("OTLP JSON: expected an object with \"resourceSpans\", got %s", kindOf([]byte(t)))
	}
	var td oTracesData
	if err := unmarshal(raw, &td); err != nil {
		return fmt.Errorf("OTLP JSON: %w", err)
	}
	for i, rs := range td.ResourceSpans {
		res := attributes(rs.Resource.Attributes)
		service, _ := res["service.name"].(string)
		for j, ss := range append(rs.ScopeSpans, rs.InstrumentationLibrarySpans...) {
			for k := range ss.Spans {
				traceID, s, err := otlpSpan(&ss.Spans[k])
				if err != nil {
					return fmt.Errorf("OTLP JSON: resourceSpans[%d].scopeSpans[%d].spans[%d]: %w", i, j, k, err)
				}
				s.Service, s.Resource = service, res
				// As Jaeger stores them, so that a trace read from either
				// of its APIs has the same attributes.
				if ss.Scope != nil && ss.Scope.Name != "" {
					s.Attributes["otel.scope.name"] = ss.Scope.Name
					if ss.Scope.Version != "" {
						s.Attributes["otel.scope.version"] = ss.Scope.Version
					}
				}
				c.add(traceID, s)
			}
		}
	}
	return nil
}

func otlpSpan(os *oSpan) (string, *analyzer.Span, error) {
	traceID, err := NormalizeTraceID(os.TraceID)
	if err != nil {
		return "", nil, err
	}
	spanID, err := NormalizeSpanID(os.SpanID)
	if err != nil {
		return "", nil, err
	}
	s := &analyzer.Span{SpanID: spanID, Name: os.Name, Attributes: attributes(os.Attributes)}
	if os.ParentSpanID != "" {
		pid, err := NormalizeSpanID(os.ParentSpanID)
		if err != nil {
			return "", nil, fmt.Errorf("parent: %w", err)
		}
		if !isZeroID(pid) {
			s.ParentSpanID = pid
		}
	}
	if s.Kind, err = otlpKind(os.Kind); err != nil {
		return "", nil, err
	}
	if s.Start, err = unixNanos(os.StartTimeUnixNano, 1, "startTimeUnixNano"); err != nil {
		return "", nil, err
	}
	if s.End, err = unixNanos(os.EndTimeUnixNano, 1, "endTimeUnixNano"); err != nil {
		return "", nil, err
	}
	if os.Status != nil {
		if s.Status, err = otlpStatus(os.Status.Code); err != nil {
			return "", nil, err
		}
		s.StatusMessage = os.Status.Message
	}
	for i, e := range os.Events {
		t, err := unixNanos(e.TimeUnixNano, 1, fmt.Sprintf("events[%d].timeUnixNano", i))
		if err != nil {
			return "", nil, err
		}
		s.Events = append(s.Events, analyzer.Event{Name: e.Name, Time: t, Attributes: attributes(e.Attributes)})
	}
	for i, l := range os.Links {
		tid, err := NormalizeTraceID(l.TraceID)
		if err != nil {
			return "", nil, fmt.Errorf("links[%d]: %w", i, err)
		}
		sid, err := NormalizeSpanID(l.SpanID)
		if err != nil {
			return "", nil, fmt.Errorf("links[%d]: %w", i, err)
		}
		s.Links = append(s.Links, analyzer.Link{TraceID: tid, SpanID: sid})
	}
	return traceID, s, nil
}

// otlpKind reads a SpanKind: 0 to 5 or its name, "SPAN_KIND_SERVER".
func otlpKind(raw json.RawMessage) (analyzer.Kind, error) {
	s, isNull := scalarString(raw)
	if isNull || s == "" {
		return analyzer.KindUnspecified, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		switch n {
		case 1:
			return analyzer.KindInternal, nil
		case 2:
			return analyzer.KindServer, nil
		case 3:
			return analyzer.KindClient, nil
		case 4:
			return analyzer.KindProducer, nil
		case 5:
			return analyzer.KindConsumer, nil
		}
		return analyzer.KindUnspecified, nil // 0 or an unknown kind
	}
	if raw[0] != '"' {
		return "", fmt.Errorf("kind: %s is neither a number nor a name", clip(string(raw)))
	}
	return kindOfName(s), nil
}

// otlpStatus reads a status code: 0 to 2 or its name, "STATUS_CODE_ERROR".
func otlpStatus(raw json.RawMessage) (analyzer.StatusCode, error) {
	s, isNull := scalarString(raw)
	if isNull || s == "" {
		return analyzer.StatusUnset, nil
	}
	switch strings.TrimPrefix(strings.ToUpper(s), "STATUS_CODE_") {
	case "1", "OK":
		return analyzer.StatusOK, nil
	case "2", "ERROR":
		return analyzer.StatusError, nil
	case "0", "UNSET":
		return analyzer.StatusUnset, nil
	}
	if _, err := strconv.Atoi(s); err == nil {
		return analyzer.StatusUnset, nil // a code from a future OTLP
	}
	return "", fmt.Errorf("status.code: unknown code %s", clip(string(raw)))
}

func attributes(kvs []oKV) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = anyValue(&kv.Value, true)
	}
	return m
}

// anyValue converts an AnyValue into a value the model allows: string,
// bool, int64, float64, or (at the top) []any of those. A kvlist, and an
// array inside an array, become their JSON text; bytes stay base64 text.
func anyValue(v *oAnyVal, top bool) any {
	switch {
	case v.StringValue != nil:
		return *v.StringValue
	case v.BoolValue != nil:
		return *v.BoolValue
	case v.IntValue != nil:
		s, _ := scalarString(v.IntValue)
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		return s
	case v.DoubleValue != nil:
		s, _ := scalarString(v.DoubleValue)
		switch s {
		case "NaN":
			return math.NaN()
		case "Infinity":
			return math.Inf(1)
		case "-Infinity":
			return math.Inf(-1)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		return s
	case v.BytesValue != nil:
		return *v.BytesValue
	case v.ArrayValue != nil:
		if !top {
			return jsonText(toJSONish(v))
		}
		out := make([]any, len(v.ArrayValue.Values))
		for i := range v.ArrayValue.Values {
			out[i] = anyValue(&v.ArrayValue.Values[i], false)
		}
		return out
	case v.KvlistValue != nil:
		return jsonText(toJSONish(v))
	}
	return "" // an empty AnyValue
}

// toJSONish turns an AnyValue into plain Go values for its JSON text.
func toJSONish(v *oAnyVal) any {
	switch {
	case v.ArrayValue != nil:
		out := make([]any, len(v.ArrayValue.Values))
		for i := range v.ArrayValue.Values {
			out[i] = toJSONish(&v.ArrayValue.Values[i])
		}
		return out
	case v.KvlistValue != nil:
		out := make(map[string]any, len(v.KvlistValue.Values))
		for i := range v.KvlistValue.Values {
			out[v.KvlistValue.Values[i].Key] = toJSONish(&v.KvlistValue.Values[i].Value)
		}
		return out
	}
	x := anyValue(v, false)
	if f, ok := x.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return fmt.Sprint(f) // JSON has no NaN or infinities
	}
	return x
}
