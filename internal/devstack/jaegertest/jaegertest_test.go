package jaegertest

import (
	"net/http"
	"testing"
)

// Two Jaegers run side by side, each on its own ports, and stop cleanly.
func TestStartJaegerTwice(t *testing.T) {
	a, b := StartJaeger(t), StartJaeger(t)
	if a.QueryURL == b.QueryURL || a.OTLPGRPCEndpoint == b.OTLPGRPCEndpoint {
		t.Fatalf("shared ports: %s %s", a.QueryURL, b.QueryURL)
	}
	for _, j := range []*Jaeger{a, b} {
		resp, err := http.Get(j.QueryURL + "/api/services")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", j.QueryURL, resp.Status)
		}
	}
	a.Stop()
	if a.Running() {
		t.Fatal("not stopped")
	}
	if _, err := http.Get(a.QueryURL + "/api/services"); err == nil {
		t.Error("stopped Jaeger still answers")
	}
}
