package analyzer

import (
	"cmp"
	"slices"
	"time"

	"github.com/failhop/failhop/vocab"
)

// Group is one failing hop seen across many traces: how often, when, and
// in which versions of the service it is in.
type Group struct {
	Description string      `json:"description"`
	Cause       vocab.Cause `json:"cause"`
	Service     string      `json:"service"`
	// OriginOperation is the hop's Hop.OriginOperation: with Service and
	// Cause, the labels of its failhop_failing_hops_total series.
	OriginOperation string `json:"origin_operation"`
	// Example is the most recent failing call as it was made, when the
	// hop is named without its path (see Hop.Example).
	Example string `json:"example,omitempty"`
	// Count is the number of failed traces whose first hop this is.
	Count int `json:"count"`
	// Versions counts the traces by the service.version of the hop's
	// service, so that a bad deploy stands out.
	Versions  map[string]int `json:"versions"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	// TraceIDs are examples, the most recent first (at most three).
	TraceIDs []string `json:"trace_ids"`
	Hint     string   `json:"hint"`
}

// failure is one failed request or unit of work of a report, by its
// first hop.
type failure struct {
	report Report
	hop    Hop
}

// failures lists the failed requests and the failed units of work of the
// reports (a unit counted at its entry span's start), each by its first
// hop.
func failures(reports []Report) []failure {
	var out []failure
	for _, r := range reports {
		if r.Failed && len(r.Hops) > 0 {
			out = append(out, failure{r, r.Hops[0]})
		}
		for _, u := range r.Units {
			if u.Failed && len(u.Hops) > 0 {
				unit := r
				unit.Start = u.Start
				out = append(out, failure{unit, u.Hops[0]})
			}
		}
	}
	return out
}

// failedUnits counts the failed units of work of the reports.
func failedUnits(reports []Report) int {
	n := 0
	for _, r := range reports {
		for _, u := range r.Units {
			if u.Failed {
				n++
			}
		}
	}
	return n
}

// maxExamples is how many trace IDs a Group keeps.
const maxExamples = 3

// Failures are the failed requests and units of work among traces,
// grouped by the hop that broke them: what `failhop errors` and failhop's
// page show.
type Failures struct {
	Traces int `json:"traces"` // the traces looked at
	Failed int `json:"failed"` // of those, requests that failed
	// FailedUnits are the failed units of work in those traces: messages
	// processed apart from the request that sent them (Unit).
	FailedUnits int     `json:"failed_units"`
	Groups      []Group `json:"groups"` // the failed ones by failing hop, the most frequent first
}

// GroupFailures counts the reports, one per trace, and groups the failed
// requests and the failed units of work by their first failing hop and
// cause, the most frequent first. It does no I/O: the reports come from
// Analyze, whatever read the traces.
func GroupFailures(reports []Report) Failures {
	f := Failures{Traces: len(reports), FailedUnits: failedUnits(reports), Groups: byFailingHop(reports)}
	for _, r := range reports {
		if r.Failed {
			f.Failed++
		}
	}
	return f
}

// byFailingHop groups the failed requests and the failed units of work
// (see Unit) of the reports by their first failing hop and cause, the
// most frequent first. Reports of requests that succeeded count only by
// their failed units.
func byFailingHop(reports []Report) []Group {
	byKey := map[string]*Group{}
	sorted := slices.Clone(reports)
	slices.SortStableFunc(sorted, func(x, y Report) int { return y.Start.Compare(x.Start) })
	for _, f := range failures(sorted) {
		r, h := f.report, f.hop
		key := h.Description + "\x00" + string(h.Cause)
		g := byKey[key]
		if g == nil {
			g = &Group{Description: h.Description, Cause: h.Cause, Service: h.Service, OriginOperation: h.OriginOperation(), Example: h.Example,
				Versions: map[string]int{}, FirstSeen: r.Start, LastSeen: r.Start, Hint: h.Hint}
			byKey[key] = g
		}
		g.Count++
		g.Versions[cmp.Or(h.ServiceVersion, "unknown")]++
		if r.Start.Before(g.FirstSeen) {
			g.FirstSeen = r.Start
		}
		if r.Start.After(g.LastSeen) {
			g.LastSeen = r.Start
		}
		if len(g.TraceIDs) < maxExamples {
			g.TraceIDs = append(g.TraceIDs, r.TraceID)
		}
	}
	groups := make([]Group, 0, len(byKey))
	for _, g := range byKey {
		groups = append(groups, *g)
	}
	slices.SortFunc(groups, func(x, y Group) int {
		return cmp.Or(y.Count-x.Count, y.LastSeen.Compare(x.LastSeen), cmp.Compare(x.Description, y.Description))
	})
	return groups
}
