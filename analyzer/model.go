package analyzer

import "time"

// Kind is the kind of a span, as in OpenTelemetry.
type Kind string

// The span kinds. Readers map unknown or missing kinds to KindUnspecified.
const (
	KindUnspecified Kind = ""
	KindServer      Kind = "server"
	KindClient      Kind = "client"
	KindInternal    Kind = "internal"
	KindProducer    Kind = "producer"
	KindConsumer    Kind = "consumer"
)

// StatusCode is the status of a span, as in OpenTelemetry.
type StatusCode string

// The span status codes.
const (
	StatusUnset StatusCode = ""
	StatusOK    StatusCode = "ok"
	StatusError StatusCode = "error"
)

// Trace is one trace as a set of spans. Readers (package tracejson) build
// it from Jaeger's JSON or OTLP JSON; the analyzer needs nothing else.
type Trace struct {
	TraceID string  // 32 lowercase hex digits
	Spans   []*Span // in any order
}

// Span is one span with what the analyzer reads of it.
type Span struct {
	SpanID       string // 16 lowercase hex digits
	ParentSpanID string // empty for a root span
	// FollowsFrom says the parent reference is asynchronous (Jaeger's
	// FOLLOWS_FROM): the parent did not wait for this span.
	FollowsFrom   bool
	Service       string // service.name of the span's resource
	Name          string
	Kind          Kind
	Start, End    time.Time
	Status        StatusCode
	StatusMessage string
	// Attributes holds span attributes (Jaeger tags) by key. Values are
	// string, bool, int64, float64 or []any of those.
	Attributes map[string]any
	// Resource holds the resource attributes (Jaeger process tags), such as
	// service.version; spans of one process may share the map.
	Resource map[string]any
	Events   []Event
	Links    []Link
}

// Event is a span event (a Jaeger log), such as an exception.
type Event struct {
	Name       string
	Time       time.Time
	Attributes map[string]any
}

// Link is a link from a span to another span, often in another trace.
type Link struct {
	TraceID string
	SpanID  string
}

// Duration is how long the span took; zero if its times are missing.
func (s *Span) Duration() time.Duration {
	if s.Start.IsZero() || s.End.Before(s.Start) {
		return 0
	}
	return s.End.Sub(s.Start)
}

// Attr returns the attribute key as a string, or "" if it is absent.
// Numbers are formatted, so an int64 status code reads as "500".
func (s *Span) Attr(key string) string { return stringOf(s.Attributes[key]) }

// Bool returns the attribute key as a bool: true for true and "true".
func (s *Span) Bool(key string) bool {
	switch v := s.Attributes[key].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}
