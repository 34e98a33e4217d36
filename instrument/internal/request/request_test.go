package request

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

func TestParseErrorHeader(t *testing.T) {
	tests := []struct {
		in         string
		wantCause  vocab.Cause
		wantOrigin string
		wantErr    bool
	}{
		{in: "db_error; origin=00f067aa0ba902b7", wantCause: vocab.CauseDBError, wantOrigin: "00f067aa0ba902b7"},
		{in: "panic", wantCause: vocab.CausePanic, wantOrigin: "0000000000000000"},
		{in: " timeout ;origin=00f067aa0ba902b7; future=1", wantCause: vocab.CauseTimeout, wantOrigin: "00f067aa0ba902b7"},
		{in: "", wantErr: true},
		{in: "DB_ERROR", wantErr: true},
		{in: "<script>", wantErr: true},
		{in: "db_error; origin=xyz", wantErr: true},
		{in: "db_error; origin=0000000000000000", wantErr: true},
		{in: "db_error; origin=00f067aa0ba902b7aa", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cause, origin, err := ParseErrorHeader(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if err == nil && (cause != tt.wantCause || origin.String() != tt.wantOrigin) {
				t.Errorf("got %q %s, want %q %s", cause, origin, tt.wantCause, tt.wantOrigin)
			}
		})
	}
}

// FuzzErrorHeader checks that any header value either parses to a known
// cause and valid origin that format back to an equivalent value, or is
// rejected: never a panic, never an unknown value written to a span.
func FuzzErrorHeader(f *testing.F) {
	for _, seed := range []string{"db_error; origin=00f067aa0ba902b7", "panic", "", ";;;", "timeout;origin=", "app_error; origin=00F067AA0BA902B7", "bad_response;x=y;origin=0102030405060708"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		cause, origin, err := ParseErrorHeader(v)
		if err != nil {
			if !strings.Contains(err.Error(), ErrorHeader) {
				t.Errorf("error %q does not name the header", err)
			}
			return
		}
		if !cause.Valid() {
			t.Fatalf("accepted unknown cause %q", cause)
		}
		c2, o2, err := ParseErrorHeader(FormatErrorHeader(cause, origin))
		if err != nil || c2 != cause || o2 != origin {
			t.Fatalf("round trip of %q: %q %s %v", v, c2, o2, err)
		}
	})
}

func TestFormatTraceResponse(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	const want = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	if got := FormatTraceResponse(sc); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
