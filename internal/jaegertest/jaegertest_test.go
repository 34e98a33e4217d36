package jaegertest

import (
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "collector-config", "jaeger.yaml")); err != nil {
		t.Errorf("root %s: %v", root, err)
	}
}

// Two Jaegers run side by side, each on its own ports, and stop cleanly.
func TestStartJaegerTwice(t *testing.T) {
	a, b := StartJaeger(t), StartJaeger(t)
	if a.QueryURL == b.QueryURL || a.OTLPGRPCEndpoint == b.OTLPGRPCEndpoint {
		t.Fatalf("shared ports: %+v %+v", a, b)
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
	a.stop()
	select {
	case <-a.done:
	case <-time.After(time.Second):
		t.Fatal("not stopped")
	}
	if ws, ok := a.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signaled() || ws.ExitStatus() != 0 {
		t.Errorf("Jaeger did not exit cleanly on SIGTERM: %v", a.cmd.ProcessState)
	}
	if _, err := http.Get(a.QueryURL + "/api/services"); err == nil {
		t.Error("stopped Jaeger still answers")
	}
}
