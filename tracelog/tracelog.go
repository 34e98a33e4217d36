// Package tracelog correlates log records with traces.
//
// [NewHandler] wraps any [slog.Handler] so that every record logged with a
// context carrying a valid span gets two extra top-level attributes,
// [TraceIDKey] and [SpanIDKey], holding the W3C hex trace and span IDs. A log
// backend can then jump from a log line to its trace and back.
//
// The package depends only on log/slog and go.opentelemetry.io/otel/trace:
// it reads the span from the context and never creates spans, so it works
// with any TracerProvider, including the no-op one, and with remote span
// contexts extracted by a propagator.
package tracelog

import (
	"context"
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/trace"
)

// Attribute keys added by the handler returned by [NewHandler]. They follow
// the OpenTelemetry log data model field names (trace_id, span_id) so that
// log backends recognise them without extra mapping.
const (
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

// NewHandler returns a [slog.Handler] that adds [TraceIDKey] and [SpanIDKey]
// attributes to each record whose context holds a valid span context (see
// [trace.SpanContextFromContext]) and then passes the record to h. Records
// without a valid span context are passed to h unchanged.
//
// The IDs are always written at the top level of the record, even when the
// handler was derived with [slog.Handler.WithGroup], so that queries such as
// trace_id=... work whatever group a library logs into. To achieve that the
// returned handler remembers the groups and the attributes added inside them
// and, for records that carry a span, rebuilds the group nesting around the
// record's attributes. Attributes added before the first group are still
// pre-formatted once by h.
//
// Enabled is passed through to h. Use the logger's context-aware methods
// (InfoContext, LogAttrs, ...) for the IDs to be found.
func NewHandler(h slog.Handler) slog.Handler {
	return &handler{full: h, prefix: h}
}

// handler is the implementation returned by NewHandler.
type handler struct {
	// full is the wrapped handler with every WithAttrs/WithGroup applied; it
	// handles records that have no span, and answers Enabled.
	full slog.Handler
	// prefix is the wrapped handler with only the WithAttrs calls made before
	// the first WithGroup applied. Records with a span are sent here so the
	// trace attributes land at the top level.
	prefix slog.Handler
	// groups are the groups opened by WithGroup, outermost first, each with
	// the attributes added while it was the innermost group.
	groups []group
}

type group struct {
	name  string
	attrs []slog.Attr
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.full.Enabled(ctx, level)
}

// Handle adds the trace attributes when ctx holds a valid span context and
// forwards the record to the wrapped handler.
func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.full.Handle(ctx, r)
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return h.full.Handle(ctx, r)
	}

	// Build a new record rather than calling r.AddAttrs: the caller still
	// owns r, and the IDs should come first and outside any group.
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(
		slog.String(TraceIDKey, sc.TraceID().String()),
		slog.String(SpanIDKey, sc.SpanID().String()),
	)
	if len(h.groups) == 0 {
		r.Attrs(func(a slog.Attr) bool {
			nr.AddAttrs(a)
			return true
		})
		return h.prefix.Handle(ctx, nr)
	}

	inner := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		inner = append(inner, a)
		return true
	})
	for i := len(h.groups) - 1; i >= 0; i-- {
		g := h.groups[i]
		attrs := make([]slog.Attr, 0, len(g.attrs)+len(inner))
		attrs = append(attrs, g.attrs...)
		attrs = append(attrs, inner...)
		inner = []slog.Attr{{Key: g.name, Value: slog.GroupValue(attrs...)}}
	}
	nr.AddAttrs(inner...)
	return h.prefix.Handle(ctx, nr)
}

// WithAttrs returns a handler whose records also carry attrs, in the current
// group if any.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	n := &handler{full: h.full.WithAttrs(attrs), prefix: h.prefix}
	if len(h.groups) == 0 {
		n.prefix = n.full
		return n
	}
	n.groups = slices.Clone(h.groups)
	last := &n.groups[len(n.groups)-1]
	last.attrs = append(slices.Clip(last.attrs), attrs...)
	return n
}

// WithGroup returns a handler that nests subsequent attributes in group name.
// The trace attributes stay at the top level.
func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &handler{
		full:   h.full.WithGroup(name),
		prefix: h.prefix,
		groups: append(slices.Clip(h.groups), group{name: name}),
	}
}
