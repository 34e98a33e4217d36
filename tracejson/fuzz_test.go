package tracejson

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode checks that Decode never panics and that what it returns
// holds to the model: normalized IDs and a span in every trace.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "{}", "[]", "null", `{"data":[{}]}`, `{"result":{"resourceSpans":[{}]}}`, `{"error":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, _ := Decode(data)
		for _, tr := range ts {
			if len(tr.TraceID) != 32 || !isHex(tr.TraceID) {
				t.Fatalf("bad trace ID %q", tr.TraceID)
			}
			if len(tr.Spans) == 0 {
				t.Fatal("trace without spans")
			}
			for _, s := range tr.Spans {
				if len(s.SpanID) != 16 || !isHex(s.SpanID) {
					t.Fatalf("bad span ID %q", s.SpanID)
				}
				if s.ParentSpanID != "" && len(s.ParentSpanID) != 16 {
					t.Fatalf("bad parent ID %q", s.ParentSpanID)
				}
			}
		}
	})
}
