// Package tracejson decodes traces saved or served as JSON into the
// analyzer's model. It reads, and detects by shape:
//
//   - Jaeger's query API JSON (v1 and v2 `/api/traces/{id}` and
//     `/api/traces?service=...` answers, also what the Jaeger UI's
//     "Download JSON" saves): {"data":[{"traceID","spans","processes"}]},
//     a bare Jaeger trace object, or a JSON array of them;
//   - OTLP JSON ({"resourceSpans":[...]}, as the OpenTelemetry Collector's
//     file exporter and OTLP/HTTP with JSON encoding write it) and Jaeger's
//     `/api/v3/traces/{id}` answer, which wraps it as
//     {"result":{"resourceSpans":[...]}}.
//
// The input may hold several JSON documents one after another (JSON Lines,
// as the Collector's file exporter writes): spans are grouped by trace ID
// across all of them. Decoding does no network I/O.
package tracejson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/failhop/failhop/analyzer"
)

// ErrNotFound is matched (with errors.Is) by an *APIError that says the
// trace was not found.
var ErrNotFound = errors.New("trace not found")

// APIError is an error that a Jaeger query API answer carried in place of,
// or beside, its traces: an entry of a v1 answer's "errors" array or a v3
// answer's "error" object.
type APIError struct {
	Code    int    // HTTP status code as Jaeger reported it; 0 if none
	Message string // Jaeger's message
	TraceID string // the trace it concerns, if Jaeger said
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("jaeger: ")
	if e.TraceID != "" {
		fmt.Fprintf(&b, "trace %s: ", e.TraceID)
	}
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString("error")
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, " (code %d)", e.Code)
	}
	return b.String()
}

// Is reports whether target is ErrNotFound and the error says so.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound &&
		(e.Code == 404 || strings.Contains(strings.ToLower(e.Message), "not found"))
}

// Decode decodes data, which holds Jaeger JSON or OTLP JSON (see the package
// documentation), into traces in the order their first spans appear.
//
// A well-formed document without spans decodes to no traces and no error.
// When Jaeger's answer carries errors (such as a trace not found), Decode
// returns them as *APIError (joined if several; errors.Is(err, ErrNotFound)
// tells a missing trace) together with whatever traces it did hold.
func Decode(data []byte) ([]*analyzer.Trace, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("tracejson: empty input: expected Jaeger JSON or OTLP JSON")
	}
	if json.Valid(data) {
		// One document, the usual case: decoded in place, without the
		// copies a json.Decoder makes of a big value as it reads it.
		c := newCollector()
		errs, err := c.document(data)
		if err != nil {
			return nil, fmt.Errorf("tracejson: %w", err)
		}
		return c.traces, errors.Join(errs...)
	}
	return DecodeReader(bytes.NewReader(data))
}

// DecodeReader is Decode reading from r until EOF.
func DecodeReader(r io.Reader) ([]*analyzer.Trace, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	c := newCollector()
	var apiErrs []error
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if err == io.EOF {
				if n == 1 {
					return nil, errors.New("tracejson: empty input: expected Jaeger JSON or OTLP JSON")
				}
				break
			}
			return nil, syntaxError(n, err)
		}
		errs, err := c.document(raw)
		if err != nil {
			if n > 1 {
				return nil, fmt.Errorf("tracejson: document %d: %w", n, err)
			}
			return nil, fmt.Errorf("tracejson: %w", err)
		}
		apiErrs = append(apiErrs, errs...)
	}
	return c.traces, errors.Join(apiErrs...)
}

func syntaxError(n int, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		if n == 1 {
			return fmt.Errorf("tracejson: not JSON (expected Jaeger JSON or OTLP JSON): %w", err)
		}
		return fmt.Errorf("tracejson: document %d: not JSON: %w", n, err)
	}
	return fmt.Errorf("tracejson: %w", err)
}

// collector groups spans into traces by trace ID across documents.
type collector struct {
	traces []*analyzer.Trace
	byID   map[string]*analyzer.Trace
}

func newCollector() *collector { return &collector{byID: map[string]*analyzer.Trace{}} }

func (c *collector) add(traceID string, s *analyzer.Span) {
	t := c.byID[traceID]
	if t == nil {
		t = &analyzer.Trace{TraceID: traceID}
		c.byID[traceID] = t
		c.traces = append(c.traces, t)
	}
	t.Spans = append(t.Spans, s)
}

// document decodes one top-level JSON value, detecting its format.
func (c *collector) document(raw json.RawMessage) ([]error, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '[':
		// A bare array of Jaeger traces.
		var ts []json.RawMessage
		if err := unmarshal(raw, &ts); err != nil {
			return nil, err
		}
		for i, t := range ts {
			if err := c.jaegerTrace(t); err != nil {
				return nil, fmt.Errorf("trace %d: %w", i, err)
			}
		}
		return nil, nil
	case len(raw) == 0 || raw[0] != '{':
		return nil, fmt.Errorf("neither Jaeger JSON nor OTLP JSON: top-level value is %s, not an object", kindOf(raw))
	}
	var top map[string]json.RawMessage
	if err := unmarshal(raw, &top); err != nil {
		return nil, err
	}
	switch {
	case has(top, "resourceSpans"):
		return nil, c.otlp(raw)
	case has(top, "result"):
		// Jaeger's /api/v3 answer.
		return nil, c.otlp(get(top, "result"))
	case has(top, "error"):
		return nil, v3Error(get(top, "error"))
	case has(top, "data") || has(top, "errors"):
		return c.jaegerResponse(top)
	case has(top, "spans"):
		return nil, c.jaegerTrace(raw)
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, fmt.Sprintf("%q", k))
	}
	slices.Sort(keys)
	if len(keys) > 5 {
		keys = append(keys[:5], "...")
	}
	return nil, fmt.Errorf("neither Jaeger JSON (\"data\" or \"spans\") nor OTLP JSON (\"resourceSpans\"): the object has keys {%s}", strings.Join(keys, ", "))
}

// has reports whether m has key k, case-insensitively as encoding/json
// matches field names.
func has(m map[string]json.RawMessage, k string) bool { return get(m, k) != nil }

// get returns m's value for key k, matched as has does; nil if absent.
func get(m map[string]json.RawMessage, k string) json.RawMessage {
	if v, ok := m[k]; ok {
		return v
	}
	for key, v := range m {
		if strings.EqualFold(key, k) {
			return v
		}
	}
	return nil
}

func kindOf(raw []byte) string {
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '[':
		return "a list"
	case '{':
		return "an object"
	}
	return "a number"
}

// unmarshal decodes JSON keeping numbers as json.Number.
func unmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return describe(err)
	}
	return nil
}

// describe rewords a type error of encoding/json to name the field.
func describe(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("field %s: %s where %s was expected", te.Field, jsonKind(te.Value), te.Type)
	}
	return err
}

func jsonKind(v string) string {
	switch v {
	case "string", "number", "bool", "array", "object":
		return "a JSON " + v
	}
	return v
}

func v3Error(raw json.RawMessage) error {
	var e struct {
		HTTPCode json.Number `json:"httpCode"`
		Message  string      `json:"message"`
	}
	if err := unmarshal(raw, &e); err != nil {
		return fmt.Errorf("bad Jaeger API v3 error object: %w", err)
	}
	code, _ := e.HTTPCode.Int64()
	return &APIError{Code: int(code), Message: e.Message}
}
