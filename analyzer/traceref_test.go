package analyzer

import (
	"errors"
	"testing"
)

func TestParseTraceRef(t *testing.T) {
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, in := range []string{
		id,
		"4BF92F3577B34DA6A3CE929D0E0E4736",
		"  " + id + "\n",
		`"` + id + `"`,
		"00-" + id + "-00f067aa0ba902b7-01",
		"Traceresponse: 00-" + id + "-00f067aa0ba902b7-01",
		"traceparent: 00-" + id + "-00f067aa0ba902b7-00",
		"Reference: " + id,
		"http://127.0.0.1:16680/trace/" + id,
		"http://localhost:16686/trace/" + id + "?uiFind=00f067aa0ba902b7",
	} {
		if got, err := ParseTraceRef(in); err != nil || got != id {
			t.Errorf("ParseTraceRef(%q) = %q, %v; want %s", in, got, err, id)
		}
	}
	if got, err := ParseTraceRef("00f067aa0ba902b7"); err != nil || got != "000000000000000000f067aa0ba902b7" {
		t.Errorf("a 64-bit ID: %q, %v; want it left-padded", got, err)
	}
	for _, in := range []string{
		"", "xyz", "0", "00000000000000000000000000000000",
		id + "0",                                  // 33 digits
		"00-" + id + "-00f067aa0ba902b7",          // three parts
		"00-" + id[:31] + "-00f067aa0ba902b7-01",  // short trace ID
		"00-" + id + "-00f067aa0ba902b-01",        // short span ID
		"zz-" + id + "-00f067aa0ba902b7-01",       // bad version
		"http://127.0.0.1:16680/trace/not-an-id",  // link to nothing
		"Reference: <script>alert(1)</script>",    // not hex
		"4bf92f35-77b3-4da6-a3ce-929d0e0e4736-01", // a UUID-like string
	} {
		if got, err := ParseTraceRef(in); !errors.Is(err, ErrBadTraceRef) {
			t.Errorf("ParseTraceRef(%q) = %q, %v; want ErrBadTraceRef", in, got, err)
		}
	}
}
