package tracelog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/tracelog"
)

var (
	traceID = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	spanID  = trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

func spanCtx() context.Context {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled})
	return trace.ContextWithSpanContext(context.Background(), sc)
}

func noTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func TestHandlerText(t *testing.T) {
	const ids = "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7"
	tests := []struct {
		name   string
		ctx    context.Context
		derive func(slog.Handler) slog.Handler
		want   string
	}{
		{
			name: "no span",
			ctx:  context.Background(),
			want: "level=INFO msg=hello k=v\n",
		},
		{
			name: "nil context",
			ctx:  nil,
			want: "level=INFO msg=hello k=v\n",
		},
		{
			name: "invalid span context",
			ctx: trace.ContextWithSpanContext(context.Background(),
				trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID})),
			want: "level=INFO msg=hello k=v\n",
		},
		{
			name: "span",
			ctx:  spanCtx(),
			want: "level=INFO msg=hello " + ids + " k=v\n",
		},
		{
			name: "remote span",
			ctx: trace.ContextWithRemoteSpanContext(context.Background(),
				trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, Remote: true})),
			want: "level=INFO msg=hello " + ids + " k=v\n",
		},
		{
			name:   "attrs",
			ctx:    spanCtx(),
			derive: func(h slog.Handler) slog.Handler { return h.WithAttrs([]slog.Attr{slog.String("svc", "a")}) },
			want:   "level=INFO msg=hello svc=a " + ids + " k=v\n",
		},
		{
			name:   "group stays out of ids",
			ctx:    spanCtx(),
			derive: func(h slog.Handler) slog.Handler { return h.WithGroup("req") },
			want:   "level=INFO msg=hello " + ids + " req.k=v\n",
		},
		{
			name:   "group without span",
			ctx:    context.Background(),
			derive: func(h slog.Handler) slog.Handler { return h.WithGroup("req") },
			want:   "level=INFO msg=hello req.k=v\n",
		},
		{
			name: "attrs group attrs group",
			ctx:  spanCtx(),
			derive: func(h slog.Handler) slog.Handler {
				h = h.WithAttrs([]slog.Attr{slog.String("svc", "a")})
				h = h.WithGroup("req").WithAttrs([]slog.Attr{slog.Int("id", 7)})
				return h.WithGroup("db").WithAttrs([]slog.Attr{slog.String("op", "select")})
			},
			want: "level=INFO msg=hello svc=a " + ids + " req.id=7 req.db.op=select req.db.k=v\n",
		},
		{
			name: "attrs group attrs group without span",
			ctx:  context.Background(),
			derive: func(h slog.Handler) slog.Handler {
				h = h.WithAttrs([]slog.Attr{slog.String("svc", "a")})
				h = h.WithGroup("req").WithAttrs([]slog.Attr{slog.Int("id", 7)})
				return h.WithGroup("db").WithAttrs([]slog.Attr{slog.String("op", "select")})
			},
			want: "level=INFO msg=hello svc=a req.id=7 req.db.op=select req.db.k=v\n",
		},
		{
			name:   "empty group name is ignored",
			ctx:    spanCtx(),
			derive: func(h slog.Handler) slog.Handler { return h.WithGroup("") },
			want:   "level=INFO msg=hello " + ids + " k=v\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := tracelog.NewHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime}))
			if tt.derive != nil {
				h = tt.derive(h)
			}
			slog.New(h).InfoContext(tt.ctx, "hello", "k", "v")
			if got := buf.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestHandlerJSONTopLevel checks the structure, not just the text: the IDs
// must be top-level keys and the group must hold the record's attributes.
func TestHandlerJSONTopLevel(t *testing.T) {
	var buf bytes.Buffer
	h := tracelog.NewHandler(slog.NewJSONHandler(&buf, nil)).WithGroup("req").WithAttrs([]slog.Attr{slog.Int("id", 7)})
	slog.New(h).InfoContext(spanCtx(), "hello", "k", "v")

	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("decode %q: %v", buf.String(), err)
	}
	if got[tracelog.TraceIDKey] != traceID.String() || got[tracelog.SpanIDKey] != spanID.String() {
		t.Errorf("ids not at top level: %v", got)
	}
	req, ok := got["req"].(map[string]any)
	if !ok {
		t.Fatalf("group req missing: %v", got)
	}
	if req["id"] != float64(7) || req["k"] != "v" {
		t.Errorf("group req = %v, want id=7 k=v", req)
	}
	if _, ok := req[tracelog.TraceIDKey]; ok {
		t.Errorf("trace id leaked into group: %v", req)
	}
}

func TestHandlerEnabled(t *testing.T) {
	tests := []struct {
		level slog.Level
		want  bool
	}{
		{slog.LevelDebug, false},
		{slog.LevelInfo, false},
		{slog.LevelWarn, true},
		{slog.LevelError, true},
	}
	var buf bytes.Buffer
	h := tracelog.NewHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})).WithGroup("g")
	for _, tt := range tests {
		if got := h.Enabled(spanCtx(), tt.level); got != tt.want {
			t.Errorf("Enabled(%v) = %v, want %v", tt.level, got, tt.want)
		}
	}
}

// TestHandlerDerivedIndependent checks that deriving two handlers from the
// same parent does not let one's attributes leak into the other.
func TestHandlerDerivedIndependent(t *testing.T) {
	var buf bytes.Buffer
	parent := tracelog.NewHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime})).WithGroup("g")
	a := parent.WithAttrs([]slog.Attr{slog.String("a", "1")})
	b := parent.WithAttrs([]slog.Attr{slog.String("b", "2")})
	slog.New(a).InfoContext(spanCtx(), "m")
	slog.New(b).InfoContext(spanCtx(), "m")
	const ids = "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7"
	want := "level=INFO msg=m " + ids + " g.a=1\n" + "level=INFO msg=m " + ids + " g.b=2\n"
	if got := buf.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
