package analyzer_test

import (
	"flag"

	"github.com/failhop/failhop/analyzer"
)

// The trace fixtures live in ../testdata/traces as Jaeger JSON (what the
// Jaeger UI's "Download JSON" saves), each with its expected answer in
// NAME.want.json. This file is their source: `go test ./analyzer -update`
// writes them from the specs below. The CLI's tests read the same files.

var update = flag.Bool("update", false, "rewrite the trace fixtures in ../testdata/traces from the specs")

// fs is a span of a fixture, by short names: IDs are derived from them.
type fs struct {
	id, parent  string
	svc, name   string
	kind        analyzer.Kind
	start, end  int // milliseconds from the trace start
	err         bool
	attrs       map[string]any
	exception   string // an exception event with this message and a stack
	status      string // the status description
	logs        []log  // log events (span events other than exceptions)
	followsFrom bool
	version     string
}

// log is a span event as span loggers write it: a message (the event's
// name) and fields.
type log struct {
	msg    string
	fields map[string]any
}

// Want is the expected answer of a fixture, as NAME.want.json holds it.
// About says what the trace is and, for a captured one, how it was
// captured.
type Want struct {
	About      string              `json:"about"`
	Failed     bool                `json:"failed"`
	Hops       []WantHop           `json:"hops"`
	NonFatal   int                 `json:"non_fatal"`
	Confidence analyzer.Confidence `json:"confidence,omitempty"` // of the first hop
	Notes      int                 `json:"notes"`
	// Units are the first hops of the failed units of work, in order.
	Units []WantHop `json:"units,omitempty"`
}

// WantHop is what a fixture expects of a hop.
type WantHop struct {
	Description    string `json:"description"`
	Cause          string `json:"cause"`
	SpanID         string `json:"span_id,omitempty"` // the origin span, when the test names it
	Message        string `json:"message,omitempty"`
	ServiceVersion string `json:"service_version,omitempty"`
	Count          int    `json:"count,omitempty"`
	Attempts       int    `json:"attempts,omitempty"`
	Stack          bool   `json:"stack,omitempty"`
}

type fixture struct {
	name  string
	about string
	spans []fs
	want  Want
}

// Attribute helpers for the specs.
func httpServer(route string, code int) map[string]any {
	return map[string]any{"http.request.method": "GET", "http.route": route, "http.response.status_code": int64(code)}
}

func httpClient(method, url string, code int) map[string]any {
	m := map[string]any{"http.request.method": method, "url.full": url}
	if code > 0 {
		m["http.response.status_code"] = int64(code)
	}
	return m
}

func with(m map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func sqlSpan(system, op, query string) map[string]any {
	return map[string]any{"db.system.name": system, "db.operation.name": op, "db.query.text": query}
}

// amqp is what OpenTelemetry JS's amqplib instrumentation sets on its
// spans of a message for queue.
func amqp(queue string) map[string]any {
	return map[string]any{"messaging.system": "rabbitmq", "messaging.destination": "", "messaging.rabbitmq.routing_key": queue}
}

var (
	origin     = []any{"failhop.origin", true}
	propagated = []any{"failhop.propagated", true}
)

func cause(c string) []any { return []any{"failhop.cause", c} }

func marks(parts ...[]any) []any {
	var out []any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

const (
	server   = analyzer.KindServer
	client   = analyzer.KindClient
	internal = analyzer.KindInternal
	consumer = analyzer.KindConsumer
	producer = analyzer.KindProducer
)
