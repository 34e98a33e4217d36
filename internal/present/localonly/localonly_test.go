package localonly

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }), "failhop test")
	for host, want := range map[string]int{
		"127.0.0.1:16680":     http.StatusOK,
		"[::1]:16680":         http.StatusOK,
		"localhost:16680":     http.StatusOK,
		"app.localhost":       http.StatusOK,
		"192.168.1.20:16680":  http.StatusOK, // listening elsewhere was asked for
		"evil.example:16680":  http.StatusMisdirectedRequest,
		"evil.example":        http.StatusMisdirectedRequest,
		"localhost.evil.test": http.StatusMisdirectedRequest,
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://"+host+"/", nil))
		if w.Code != want {
			t.Errorf("Host %s: %d, want %d", host, w.Code, want)
		}
		if want != http.StatusOK && !strings.Contains(w.Body.String(), "failhop test answers requests for an IP address or localhost only") {
			t.Errorf("Host %s: %q, want the sentence naming the server", host, w.Body.String())
		}
	}
}
