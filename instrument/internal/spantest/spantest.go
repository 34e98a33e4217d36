// Package spantest records the spans of the client adapters' tests
// (instrumentpgx, instrumentredis) and checks what each must carry: its
// kind, attributes, status and failhop's marks, and no value it must not
// hold.
package spantest

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// Recorder is a tracer provider whose ended spans a test reads.
type Recorder struct {
	*tracetest.SpanRecorder
	TP *sdktrace.TracerProvider
}

// NewRecorder returns a Recorder, shut down when t ends.
func NewRecorder(t testing.TB) *Recorder {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &Recorder{SpanRecorder: sr, TP: tp}
}

// Want says what the client span of an operation must carry.
type Want struct {
	Name   string            // span name
	Attrs  map[string]string // attributes that must be there, "" for any value
	Status codes.Code
	// Cause is failhop.cause, on an origin; "" for no marks at all.
	Cause string
	// Propagated says the span only passed the failure on.
	Propagated bool
	// NotInText are literals of the statement that no attribute, status
	// or event may hold.
	NotInText []string
}

// Find returns the only span named name; it fails otherwise.
func Find(t testing.TB, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one span named %q, got %d among %q", name, len(found), names)
	}
	return found[0]
}

// Check finds the only span named w.Name and checks it.
func Check(t testing.TB, spans []sdktrace.ReadOnlySpan, w Want) sdktrace.ReadOnlySpan {
	t.Helper()
	s := Find(t, spans, w.Name)
	if s.SpanKind() != trace.SpanKindClient {
		t.Errorf("span %q: kind %v, want client", w.Name, s.SpanKind())
	}
	a := Attrs(s)
	for k, v := range w.Attrs {
		if got, ok := a[k]; !ok {
			t.Errorf("span %q: no attribute %s (has %v)", w.Name, k, a)
		} else if v != "" && got != v {
			t.Errorf("span %q: %s = %q, want %q", w.Name, k, got, v)
		}
	}
	if s.Status().Code != w.Status {
		t.Errorf("span %q: status %v %q, want %v", w.Name, s.Status().Code, s.Status().Description, w.Status)
	}
	if w.Status == codes.Error && s.Status().Description == "" {
		t.Errorf("span %q: Error status without a message", w.Name)
	}
	checkMarks(t, s, a, w)
	for _, lit := range w.NotInText {
		for _, text := range Texts(s) {
			if strings.Contains(text, lit) {
				t.Errorf("span %q: %q holds the literal %q", w.Name, text, lit)
			}
		}
	}
	return s
}

func checkMarks(t testing.TB, s sdktrace.ReadOnlySpan, a map[string]string, w Want) {
	t.Helper()
	origin, propagated, cause := a[vocab.KeyOrigin], a[vocab.KeyPropagated], a[vocab.KeyCause]
	switch {
	case w.Cause == "":
		if origin != "" || propagated != "" || cause != "" || a["error.type"] != "" {
			t.Errorf("span %q: unexpected marks origin=%q propagated=%q cause=%q error.type=%q", s.Name(), origin, propagated, cause, a["error.type"])
		}
	case w.Propagated:
		if propagated != "true" || origin != "" || cause != w.Cause {
			t.Errorf("span %q: marks propagated=%q origin=%q cause=%q, want propagated cause=%q", s.Name(), propagated, origin, cause, w.Cause)
		}
	default:
		if origin != "true" || cause != w.Cause {
			t.Errorf("span %q: marks origin=%q cause=%q, want origin cause=%q", s.Name(), origin, cause, w.Cause)
		}
	}
}

// Attrs returns the span's attributes, their values as strings.
func Attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// Texts returns every string a span holds: name, attributes, status, events.
func Texts(s sdktrace.ReadOnlySpan) []string {
	out := []string{s.Name(), s.Status().Description}
	for _, kv := range s.Attributes() {
		out = append(out, kv.Value.String())
	}
	for _, e := range s.Events() {
		out = append(out, e.Name)
		for _, kv := range e.Attributes {
			out = append(out, kv.Value.String())
		}
	}
	return out
}

// NoValues checks that no span holds any of values, anywhere: name,
// attributes, status, events.
func NoValues(t testing.TB, spans []sdktrace.ReadOnlySpan, values ...string) {
	t.Helper()
	for _, s := range spans {
		for _, text := range Texts(s) {
			for _, v := range values {
				if strings.Contains(text, v) {
					t.Errorf("span %q holds the value %q: %q", s.Name(), v, text)
				}
			}
		}
	}
}
