// Package recent finds the recent failures in Jaeger: it fetches the
// recent traces (package jaeger), analyzes each (analyzer.Analyze) and
// groups the failed ones by failing hop (analyzer.GroupFailures). It is
// the one place that does so: `failhop errors`, the MCP tool failures
// and failhop's page all ask it.
package recent

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/jaeger"
)

// Failures finds the recent traces of q.Service (as
// jaeger.Client.FindTraces does), or of every service Jaeger knows when
// q.Service is "" (q.Limit traces of each, a trace counted once), analyzes
// them and groups the failed ones by failing hop. q.Tags narrows the
// search (the traces with a span that has them), but must not hold
// error: the analyzer decides which traces failed (Jaeger v2's memory
// store mishandles an error=true filter: it compares the tag's string
// value as a bool).
func Failures(ctx context.Context, c *jaeger.Client, q jaeger.Query) (analyzer.Failures, error) {
	traces, err := tracesOfServices(ctx, c, q)
	if err != nil {
		return analyzer.Failures{}, err
	}
	seen := map[string]bool{}
	var reports []analyzer.Report
	for _, t := range traces {
		if seen[t.TraceID] {
			continue
		}
		seen[t.TraceID] = true
		reports = append(reports, analyzer.Analyze(t))
	}
	return analyzer.GroupFailures(reports), nil
}

// parallelSearches is how many of tracesOfServices' searches run at once.
const parallelSearches = 4

// tracesOfServices finds the traces of q.Service, or of each service
// Jaeger knows when q.Service is "", in the order of the services; a trace
// that spans services comes once for each.
func tracesOfServices(ctx context.Context, c *jaeger.Client, q jaeger.Query) ([]*analyzer.Trace, error) {
	services := []string{q.Service}
	if q.Service == "" {
		var err error
		if services, err = c.Services(ctx); err != nil {
			return nil, err
		}
	}
	// One search per service, a few at a time: a page over many services
	// waits for the slowest few searches, not for all of them in turn. The
	// first error cancels the others.
	found := make([][]*analyzer.Trace, len(services))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelSearches)
	for i, s := range services {
		g.Go(func() error {
			q := q
			q.Service = s
			var err error
			found[i], err = c.FindTraces(gctx, q)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var traces []*analyzer.Trace
	for _, f := range found {
		traces = append(traces, f...)
	}
	return traces, nil
}
