package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/examples/internal/shop"
	"github.com/failhop/failhop/internal/promapi"
	"github.com/failhop/failhop/internal/render"
	"github.com/failhop/failhop/internal/stack"
	"github.com/failhop/failhop/jaeger"
)

// TestScenarios runs every scenario end to end through the real pipeline
// (the failhop collector and Jaeger of the repository, on free ports) and
// checks the analyzer's answers (the failing hop, its cause and version),
// then that Jaeger's search for failhop.root_cause=true finds exactly the
// failing hops: the collector's processor marked them.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx := context.Background()
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	st, err := stack.Start(ctx, stack.Config{
		Root: root, Dir: t.TempDir(),
		CollectorEnv: demoCollectorEnv,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	s, err := shop.Start(ctx, shop.Config{
		FreePorts:    true,
		BinDir:       t.TempDir(),
		OTLPEndpoint: "http://" + st.OTLPGRPCEndpoint,
		DatabaseURL:  os.Getenv("FAILHOP_TEST_POSTGRES_DSN"),
		SchemaPrefix: "demotest_",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	r := &runner{shop: s, jaeger: jaeger.New(st.JaegerURL), links: render.Links{Base: st.JaegerURL}}
	var results []result
	for _, sc := range shop.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			res := r.run(ctx, sc)
			results = append(results, res)
			if res.err != nil {
				t.Fatal(res.err)
			}
		})
	}
	if err := r.checkRootCauseSearch(ctx, results); err != nil {
		t.Errorf("Jaeger search failhop.root_cause=true: %v", err)
	}
	t.Run("page", func(t *testing.T) { checkPage(t, st.JaegerURL, startTestPrometheus(t, root, st), results) })
	if countHops(results) < 9 {
		t.Errorf("only %d scenarios had a failing hop", countHops(results))
	}
}

// startTestPrometheus runs Prometheus over st's failure metrics, as the
// demo does (make test installs it, scripts/prometheus.sh), and returns
// its client.
func startTestPrometheus(t *testing.T, root string, st *stack.Stack) *promapi.Client {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus not found: `make test` installs it (scripts/prometheus.sh)")
	}
	ports, err := stack.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	target := strings.TrimSuffix(strings.TrimPrefix(st.MetricsURL, "http://"), "/metrics")
	svc, err := stack.PrometheusService(root, t.TempDir(), bin, ports[0], []string{target}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Stop)
	return &promapi.Client{BaseURL: stack.PrometheusURL(ports[0])}
}
