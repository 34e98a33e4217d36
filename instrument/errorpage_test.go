package instrument

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPrefersJSON(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"", false},
		{"*/*", false},
		{"application/json", true},
		{"application/json, text/plain, */*", true},
		{"application/problem+json", true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
		{"text/html;q=0.5, application/json", true},
		{"application/json;q=0, text/html", false},
		{"application/json;q=abc", false},
		{"text/html, application/json", false},
	}
	for _, tt := range tests {
		if got := prefersJSON(tt.accept); got != tt.want {
			t.Errorf("prefersJSON(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

// FuzzAccept checks that any Accept header gives a page that is JSON or
// HTML and shows nothing but the status, the sentence and the reference.
func FuzzAccept(f *testing.F) {
	for _, seed := range []string{"", "application/json", "text/html;q=0.1, application/json;q=0.2", ";;;q=", "a/b;q=1e400", "application/json;q=NaN"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		w := httptest.NewRecorder()
		newErrorPage(500, "4bf92f3577b34da6a3ce929d0e0e4736").write(w, accept)
		ct := w.Header().Get("Content-Type")
		if ct != "application/json" && ct != "text/html; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
		if !strings.Contains(w.Body.String(), "4bf92f3577b34da6a3ce929d0e0e4736") || w.Code != 500 {
			t.Fatalf("page %d %q lacks the reference", w.Code, w.Body.String())
		}
	})
}
