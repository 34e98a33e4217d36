package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/failhop/failhop/internal/devstack/stack"
	"github.com/failhop/failhop/internal/present/render"
	"github.com/failhop/failhop/internal/promapi"
)

// prometheusPort is where the demo's Prometheus listens, unless
// DEMO_FREE_PORTS asks for a free port.
const prometheusPort = 9090

// startPrometheus runs Prometheus (FAILHOP_PROMETHEUS, else the one on
// PATH, which make demo installs with scripts/prometheus.sh) with the
// shipped prometheus.yml over the stack's failure metrics, scraping every
// 2 s. Without Prometheus, or with its port taken, it says so in one line
// and returns nil: the demo goes on without counts and alerts.
func startPrometheus(ctx context.Context, st *stack.Stack, dir string, free bool) (*stack.Service, *promapi.Client) {
	bin := os.Getenv("FAILHOP_PROMETHEUS")
	if bin == "" {
		bin, _ = exec.LookPath("prometheus")
	}
	if bin == "" {
		fmt.Fprintln(os.Stderr, "demo: Prometheus is not installed (scripts/prometheus.sh installs it, as root): no failure counts or alerts in this run")
		return nil, nil
	}
	port := prometheusPort
	if free {
		ports, err := stack.FreePorts(1)
		if err != nil {
			fmt.Fprintf(os.Stderr, "demo: Prometheus: %v: no failure counts or alerts in this run\n", err)
			return nil, nil
		}
		port = ports[0]
	}
	if err := stack.CheckPorts([]stack.Port{{Port: port, What: "Prometheus", Move: "or run the demo with DEMO_FREE_PORTS=1"}}); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v: no failure counts or alerts in this run\n", err)
		return nil, nil
	}
	root, err := stack.RepoRoot()
	if err == nil {
		target := strings.TrimSuffix(strings.TrimPrefix(st.MetricsURL, "http://"), "/metrics")
		var svc *stack.Service
		if svc, err = stack.PrometheusService(root, filepath.Join(cmp.Or(dir, filepath.Join(root, ".cache", "demo")), "prometheus"), bin, port, []string{target}, 2*time.Second); err == nil {
			fmt.Fprintf(os.Stderr, "stack: starting Prometheus (alerts of collector-config/alerts.yml, on %s)...\n", stack.PrometheusURL(port))
			if err = svc.Start(ctx); err == nil {
				return svc, &promapi.Client{BaseURL: stack.PrometheusURL(port)}
			}
		}
	}
	fmt.Fprintf(os.Stderr, "demo: Prometheus did not start (%v): no failure counts or alerts in this run\n", err)
	return nil, nil
}

// printAlerting reads back from Prometheus the failing hops the collector
// counted, once it has counted the failed requests of results, and the
// alerts pending or firing.
func printAlerting(ctx context.Context, w io.Writer, prom *promapi.Client, results []result) {
	var hops []promapi.Sample
	err := waitCounted(ctx, prom, countHops(results))
	if err == nil {
		hops, err = prom.Query(ctx, "sum by (origin_service, origin_operation, cause) (failhop_failing_hops_total)")
	}
	if err != nil {
		fmt.Fprintf(w, "\nfailure counts from Prometheus: %v\n", err)
		return
	}
	fmt.Fprintf(w, "\nFailing hops counted by the collector before sampling, read back from Prometheus (%s):\n", prom.BaseURL)
	slices.SortFunc(hops, func(a, b promapi.Sample) int {
		return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Labels["origin_service"], b.Labels["origin_service"]), cmp.Compare(a.Labels["origin_operation"], b.Labels["origin_operation"]))
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ORIGIN SERVICE\tORIGIN OPERATION\tCAUSE\tFAILURES\n")
	for _, h := range hops {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\n", render.Escape(h.Labels["origin_service"]), render.Escape(h.Labels["origin_operation"]), render.Escape(h.Labels["cause"]), h.Value)
	}
	tw.Flush()

	alerts, err := prom.Alerts(ctx)
	switch {
	case err != nil:
		fmt.Fprintf(w, "alerts: %v\n", err)
	case len(alerts) == 0:
		fmt.Fprintln(w, "Alerts pending or firing: none yet (FailhopFailingHop needs a hop to fail 3 times in 5 minutes).")
	default:
		fmt.Fprintln(w, "Alerts pending or firing (collector-config/alerts.yml):")
		for _, a := range alerts {
			fmt.Fprintf(w, "  %-8s %s: %s\n", a.State, a.Labels["alertname"], render.Escape(a.Annotations["summary"]))
		}
	}
}

// prometheusLine is the line of the final banner about Prometheus, with
// its newline; "" without Prometheus.
func prometheusLine(prom *promapi.Client) string {
	if prom == nil {
		return ""
	}
	return fmt.Sprintf("  Prometheus:  %s  (failhop_failing_hops_total, the alerts of collector-config/alerts.yml)\n", prom.BaseURL)
}

// waitCounted waits, 30 s at most, until Prometheus has scraped the
// collector's count of at least failed failed requests: the collector
// counts a trace once its decision wait is over, and Prometheus scrapes
// every 2 s.
func waitCounted(ctx context.Context, prom *promapi.Client, failed int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		total, err := prom.Query(ctx, "sum(failhop_failed_requests_total)")
		switch {
		case err == nil && len(total) == 1 && total[0].Value >= float64(failed):
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Now().After(deadline):
			if err == nil {
				err = fmt.Errorf("Prometheus had not counted the %d failed requests after 30 s", failed)
			}
			return err
		}
		time.Sleep(time.Second)
	}
}
