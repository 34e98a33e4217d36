package main

import (
	"context"
	"os"
	"testing"

	"github.com/failhop/failhop/examples/internal/shop"
	"github.com/failhop/failhop/internal/devstack/stack"
	"github.com/failhop/failhop/internal/present/render"
	"github.com/failhop/failhop/internal/promapi"
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
	results := playScenarios(t, false, shop.Scenarios)
	t.Run("page", func(t *testing.T) {
		checkPage(t, results, startTestPrometheus(t, results.stack))
	})
	if countHops(results.results) < 9 {
		t.Errorf("only %d scenarios had a failing hop", countHops(results.results))
	}
}

// TestScenariosDefaults plays the failing scenarios as TestScenarios does,
// on the shipped defaults (--defaults): the collector on its config's own
// root and decision waits, the services on exporters.Setup's 5 s batch
// schedule. Each failing hop must be the one marked: the services export a
// failed request at once, so its spans are in before the collector's root
// wait ends. (The healthy scenarios are left out: on these settings their
// traces, whose root is not exported, wait for the decision wait, 10 s.)
func TestScenariosDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	if os.Getenv("FAILHOP_TEST_POSTGRES_DSN") != "" {
		t.Skip("run once, on SQLite: the database does not change when spans are exported")
	}
	var failing []shop.Scenario
	for _, sc := range shop.Scenarios {
		if sc.WantHop != "" {
			failing = append(failing, sc)
		}
	}
	results := playScenarios(t, true, failing)
	for _, res := range results.results {
		if res.markedElsewhere {
			t.Errorf("%s: the collector marked another span than the failing hop %s", res.scenario, res.hop.SpanID)
		}
	}
}

// played is what playScenarios did.
type played struct {
	jaegerURL  string
	gatewayURL string // the shop's front door
	results    []result
	stack      *stack.Stack // the pipeline it ran on
}

// playScenarios starts the pipeline and the shop, on the demo's settings
// or with defaults on the shipped ones, plays scenarios and checks each
// answer, then that Jaeger's search for failhop.root_cause=true finds
// exactly the failing hops.
func playScenarios(t *testing.T, defaults bool, scenarios []shop.Scenario) played {
	ctx := context.Background()
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	st, err := stack.Start(ctx, stack.Config{
		Root: root, Dir: t.TempDir(),
		CollectorEnv: collectorEnv(defaults),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)

	s, err := shop.Start(ctx, shop.Config{
		FreePorts:     true,
		BinDir:        t.TempDir(),
		OTLPEndpoint:  "http://" + st.OTLPGRPCEndpoint,
		DatabaseURL:   os.Getenv("FAILHOP_TEST_POSTGRES_DSN"),
		SchemaPrefix:  "demotest_",
		SetupDefaults: defaults,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	r := &runner{shop: s, jaeger: jaeger.New(st.JaegerURL), links: render.Links{Base: st.JaegerURL}, settle: settleFor(defaults)}
	var results []result
	for _, sc := range scenarios {
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
	return played{jaegerURL: st.JaegerURL, gatewayURL: s.URL("gateway"), results: results, stack: st}
}

// startTestPrometheus runs Prometheus over st's failure metrics as the
// demo does (startPrometheus; make test installs it, scripts/prometheus.sh),
// and returns its client.
func startTestPrometheus(t *testing.T, st *stack.Stack) *promapi.Client {
	t.Helper()
	svc, prom := startPrometheus(t.Context(), st, t.TempDir(), true)
	if svc == nil {
		t.Fatal("Prometheus did not start (see above): `make test` installs it (scripts/prometheus.sh)")
	}
	t.Cleanup(svc.Stop)
	return prom
}
