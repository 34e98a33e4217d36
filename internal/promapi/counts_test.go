package promapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/failhop/failhop/internal/devstack/stack"
	"github.com/failhop/failhop/internal/promapi"
)

// TestRequestCounts runs a real Prometheus (scripts/prometheus.sh installs
// it) over a target whose failhop_requests_total series is born while
// Prometheus watches, at 3, then grows to 5, as a new service's first
// requests make it: RequestCounts says 5 requests, not the 2 of
// increase() alone; and before any series, it says it has no counts,
// not 0.
func TestRequestCounts(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus not found: run scripts/prometheus.sh (it installs Debian's prometheus)")
	}
	var requests atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n := requests.Load(); n > 0 {
			fmt.Fprintf(w, "failhop_requests_total{entry_service=\"shop\"} %d\nfailhop_failed_requests_total{entry_service=\"shop\"} 1\n", n)
		}
	}))
	defer target.Close()
	ports, err := stack.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := stack.PrometheusService(root(t), t.TempDir(), bin, ports[0], []string{strings.TrimPrefix(target.URL, "http://")}, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop()
	prom := &promapi.Client{BaseURL: stack.PrometheusURL(ports[0])}

	if _, err := prom.RequestCounts(t.Context(), "shop", time.Hour); err != promapi.ErrNoCounts {
		t.Errorf("with no series: %v, want ErrNoCounts", err)
	}
	time.Sleep(time.Second) // Prometheus scrapes the target, which has no series yet
	requests.Store(3)
	time.Sleep(time.Second)
	requests.Store(5)
	var got promapi.Counts
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if got, err = prom.RequestCounts(t.Context(), "shop", time.Hour); err == nil && got.Requests == 5 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got.Requests != 5 || got.Failed != 1 {
		t.Errorf("counts %+v (%v), want 5 requests and 1 failed: a series born in the window counts from 0", got, err)
	}
}

func root(t *testing.T) string {
	dir, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
