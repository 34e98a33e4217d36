package webui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/promapi"
)

// group is a failing hop on the front page, with what Prometheus says of
// it, when the page has a Prometheus (failhop serve --prometheus).
type group struct {
	analyzer.Group
	// Spark is the points of its sparkline: failures per minute over the
	// last hour, on a 60×12 box; "" without data.
	Spark string
	// Failures is how many failures the sparkline counts.
	Failures float64
	// New says the hop had no failure in the 24 hours before the last
	// hour: it started failing (after a deploy?).
	New bool
}

// hopLabels are the failhop_failing_hops_total labels of a hop.
type hopLabels struct{ service, operation, cause string }

func labelsOf(m map[string]string) hopLabels {
	return hopLabels{m["origin_service"], m["origin_operation"], m["cause"]}
}

// The queries behind the sparklines and the "new" badges: each hop's
// count, read minute by minute over the last hour (the page takes the
// differences itself: increase() cannot see the first failure of a new
// series), and the hops that failed in the day before that hour, whose
// count grew then or whose series was born then (as alerts.yml's
// FailhopNewFailingHop has it).
const (
	byHop         = "sum by (origin_service, origin_operation, cause) "
	counts        = byHop + "(failhop_failing_hops_total)"
	dayBeforeHour = byHop + "(increase(failhop_failing_hops_total[1d] offset 1h)) > 0 or (" +
		byHop + "(max_over_time(failhop_failing_hops_total[1d] offset 1h)) unless " + byHop + "(failhop_failing_hops_total offset 25h))"
)

// withHistory returns the groups with their sparklines and badges from
// prom, or without them, and why, when Prometheus cannot be read.
func withHistory(ctx context.Context, prom *promapi.Client, groups []analyzer.Group, now time.Time) ([]group, error) {
	out := make([]group, len(groups))
	for i, g := range groups {
		out[i] = group{Group: g}
	}
	if prom == nil || len(groups) == 0 {
		return out, nil
	}
	recent, err := prom.QueryRange(ctx, counts, now.Add(-time.Hour-time.Minute), now, time.Minute)
	if err != nil {
		return out, err
	}
	before, err := prom.Query(ctx, dayBeforeHour)
	if err != nil {
		return out, err
	}
	failedBefore := map[hopLabels]bool{}
	for _, s := range before {
		failedBefore[labelsOf(s.Labels)] = true
	}
	series := map[hopLabels][]float64{}
	for _, s := range recent {
		series[labelsOf(s.Labels)] = perStep(s.Values)
	}
	for i := range out {
		values, ok := series[hopLabels{out[i].Service, out[i].OriginOperation, string(out[i].Cause)}]
		if !ok {
			continue
		}
		out[i].Spark, out[i].Failures = sparkline(values)
		out[i].New = out[i].Failures > 0 && !failedBefore[hopLabels{out[i].Service, out[i].OriginOperation, string(out[i].Cause)}]
	}
	return out, nil
}

// sparkline returns the points of a polyline drawing values on a 60×12
// box (x by index, the largest value at the top), and their sum.
func sparkline(values []float64) (string, float64) {
	top, sum := 0.0, 0.0
	for _, v := range values {
		top, sum = max(top, v), sum+v
	}
	var b strings.Builder
	for i, v := range values {
		y := 12.0
		if top > 0 {
			y = 12 - 11*v/top
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s,%s", strconv.FormatFloat(60*float64(i)/float64(max(len(values)-1, 1)), 'f', 1, 64), strconv.FormatFloat(y, 'f', 1, 64))
	}
	return b.String(), sum
}

// perStep turns a counter's values, one per step (0 where it had no
// series yet), into how much it grew at each step after the first; a
// drop (the collector restarted) counts as no growth.
func perStep(values []float64) []float64 {
	if len(values) < 2 {
		return nil
	}
	out := make([]float64, len(values)-1)
	for i := range out {
		out[i] = max(values[i+1]-values[i], 0)
	}
	return out
}
