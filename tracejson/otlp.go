package tracejson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/failhop/failhop/analyzer/otlpconv"
)

// OTLP JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding)
// is decoded by pdata's ptrace.JSONUnmarshaler and converted by
// analyzer/otlpconv, the converter of the failhop processor: a trace
// reads the same in `failhop why` as in the collector. What pdata does not
// read, older and looser writers still produce; legacyOTLP rewrites it.

func (c *collector) otlp(raw json.RawMessage) error {
	if _, isNull := scalarString(raw); isNull {
		return nil // {"result": null}: no spans
	} else if t := strings.TrimSpace(string(raw)); !strings.HasPrefix(t, "{") {
		return fmt.Errorf("OTLP JSON: expected an object with \"resourceSpans\", got %s", kindOf([]byte(t)))
	}
	td, err := unmarshalOTLP(raw)
	if err != nil {
		return fmt.Errorf("OTLP JSON: %w", err)
	}
	for i, rs := range td.ResourceSpans().All() {
		res := otlpconv.NewResource(rs.Resource().Attributes())
		for j, ss := range rs.ScopeSpans().All() {
			for k, s := range ss.Spans().All() {
				switch {
				case s.TraceID().IsEmpty():
					return fmt.Errorf("OTLP JSON: resourceSpans[%d].scopeSpans[%d].spans[%d]: empty trace ID", i, j, k)
				case s.SpanID().IsEmpty():
					return fmt.Errorf("OTLP JSON: resourceSpans[%d].scopeSpans[%d].spans[%d]: empty span ID", i, j, k)
				}
				c.add(s.TraceID().String(), otlpconv.Convert(s, res, ss.Scope()))
			}
		}
	}
	return nil
}

// unmarshalOTLP decodes OTLP JSON with pdata; what pdata refuses, and the
// field names it does not know, it first rewrites with legacyOTLP.
func unmarshalOTLP(raw []byte) (ptrace.Traces, error) {
	var u ptrace.JSONUnmarshaler
	if !bytes.Contains(raw, []byte(`"instrumentationLibrary`)) {
		if td, err := u.UnmarshalTraces(raw); err == nil {
			return td, nil
		}
	}
	fixed, err := legacyOTLP(raw)
	if err != nil {
		return ptrace.Traces{}, err
	}
	return u.UnmarshalTraces(fixed)
}

// legacyOTLP rewrites OTLP JSON into the form pdata reads: the names before
// OTLP 0.15 (instrumentationLibrarySpans, instrumentationLibrary), IDs as
// base64 (protojson without the OTLP/JSON rule) or as short hex (Jaeger's
// 64-bit trace IDs), kinds and status codes by any spelling of their names,
// times as floats without a fraction. Its errors name the field.
func legacyOTLP(raw []byte) ([]byte, error) {
	var doc map[string]any
	if err := unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	rss, err := list(doc, "resourceSpans", "")
	if err != nil {
		return nil, err
	}
	for i, rs := range rss {
		path := fmt.Sprintf("resourceSpans[%d]", i)
		rs, err := object(rs, path)
		if err != nil {
			return nil, err
		}
		sss, err := list(rs, "scopeSpans", path)
		if err != nil {
			return nil, err
		}
		old, err := list(rs, "instrumentationLibrarySpans", path)
		if err != nil {
			return nil, err
		}
		delete(rs, "instrumentationLibrarySpans")
		sss = append(sss, old...)
		rs["scopeSpans"] = sss
		for j, ss := range sss {
			path := fmt.Sprintf("%s.scopeSpans[%d]", path, j)
			ss, err := object(ss, path)
			if err != nil {
				return nil, err
			}
			if lib, ok := ss["instrumentationLibrary"]; ok {
				if _, ok := ss["scope"]; !ok {
					ss["scope"] = lib
				}
				delete(ss, "instrumentationLibrary")
			}
			spans, err := list(ss, "spans", path)
			if err != nil {
				return nil, err
			}
			for k, s := range spans {
				path := fmt.Sprintf("%s.spans[%d]", path, k)
				s, err := object(s, path)
				if err != nil {
					return nil, err
				}
				if err := legacySpan(s); err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
			}
		}
	}
	return json.Marshal(doc)
}

// legacySpan rewrites one span of legacyOTLP in place.
func legacySpan(s map[string]any) error {
	if err := rewriteID(s, "traceId", 32); err != nil {
		return err
	}
	if err := rewriteID(s, "spanId", 16); err != nil {
		return err
	}
	if p, _ := s["parentSpanId"].(string); p != "" {
		if err := rewriteID(s, "parentSpanId", 16); err != nil {
			return err
		}
	}
	if err := rewrite(s, "kind", otlpKind); err != nil {
		return err
	}
	for _, key := range []string{"startTimeUnixNano", "endTimeUnixNano"} {
		if err := rewrite(s, key, unixNanoText); err != nil {
			return err
		}
	}
	if err := inEach(s, "events", func(e map[string]any) error { return rewrite(e, "timeUnixNano", unixNanoText) }); err != nil {
		return err
	}
	if err := inEach(s, "links", func(l map[string]any) error {
		if err := rewriteID(l, "traceId", 32); err != nil {
			return err
		}
		return rewriteID(l, "spanId", 16)
	}); err != nil {
		return err
	}
	if st, ok := s["status"].(map[string]any); ok {
		if err := rewrite(st, "code", otlpStatus); err != nil {
			return fmt.Errorf("status.%w", err)
		}
	}
	return nil
}

// rewrite replaces m[key], a string or a number (as text), by what fix
// makes of it; an absent or null key stays as it is.
func rewrite(m map[string]any, key string, fix func(string) (any, error)) error {
	var text string
	switch v := m[key].(type) {
	case nil:
		return nil
	case string:
		text = v
	case json.Number:
		text = string(v)
	default:
		return fmt.Errorf("%s: %s where a string or a number was expected", key, kindOf([]byte(jsonText(v))))
	}
	v, err := fix(text)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	m[key] = v
	return nil
}

// rewriteID replaces the ID m[key] by its hex form of digits digits (see
// normalizeID); an absent key stays absent.
func rewriteID(m map[string]any, key string, digits int) error {
	switch v := m[key].(type) {
	case nil:
		return nil
	case string:
		id, err := normalizeID(v, digits, key)
		if err != nil {
			return err
		}
		m[key] = id
		return nil
	default:
		return fmt.Errorf("%s: %s where a hex string was expected", key, kindOf([]byte(jsonText(v))))
	}
}

// inEach calls f on every object of the list m[key].
func inEach(m map[string]any, key string, f func(map[string]any) error) error {
	l, err := list(m, key, "")
	if err != nil {
		return err
	}
	for i, e := range l {
		e, err := object(e, fmt.Sprintf("%s[%d]", key, i))
		if err != nil {
			return err
		}
		if err := f(e); err != nil {
			return fmt.Errorf("%s[%d].%w", key, i, err)
		}
	}
	return nil
}

func list(m map[string]any, key, path string) ([]any, error) {
	switch v := m[key].(type) {
	case nil:
		return nil, nil
	case []any:
		return v, nil
	default:
		return nil, fmt.Errorf("%s: %s where a list was expected", strings.TrimPrefix(path+"."+key, "."), kindOf([]byte(jsonText(v))))
	}
}

func object(v any, path string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: %s where an object was expected", path, kindOf([]byte(jsonText(v))))
	}
	return m, nil
}

// unixNanoText reads a time in nanoseconds (see uintOf) as the decimal
// string OTLP JSON writes.
func unixNanoText(v string) (any, error) {
	n, _, err := uintOf(json.RawMessage(strconv.Quote(v)))
	if err != nil {
		return nil, err
	}
	return strconv.FormatUint(n, 10), nil
}

// otlpKind reads a SpanKind: 0 to 5 or its name, "SPAN_KIND_SERVER" or
// "server".
func otlpKind(v string) (any, error) {
	if _, err := strconv.Atoi(v); err == nil {
		return json.Number(v), nil
	}
	for i, name := range []string{"unspecified", "internal", "server", "client", "producer", "consumer"} {
		if strings.EqualFold(strings.TrimPrefix(strings.ToLower(v), "span_kind_"), name) {
			return i, nil
		}
	}
	return nil, fmt.Errorf("unknown kind %q", clip(v))
}

// otlpStatus reads a status code: 0 to 2 or its name, "STATUS_CODE_ERROR"
// or "error".
func otlpStatus(v string) (any, error) {
	if _, err := strconv.Atoi(v); err == nil {
		return json.Number(v), nil // a code from a future OTLP reads as unset
	}
	switch strings.TrimPrefix(strings.ToUpper(v), "STATUS_CODE_") {
	case "UNSET":
		return 0, nil
	case "OK":
		return 1, nil
	case "ERROR":
		return 2, nil
	}
	return nil, fmt.Errorf("unknown code %q", clip(v))
}
