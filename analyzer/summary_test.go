package analyzer_test

import (
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/vocab"
)

func TestGroupFailures(t *testing.T) {
	at := func(min int) time.Time { return fixtureEpoch.Add(time.Duration(min) * time.Minute) }
	failedAt := func(id string, min int, desc, cause, version string) analyzer.Report {
		return analyzer.Report{TraceID: id, Failed: true, Start: at(min),
			Hops: []analyzer.Hop{{Description: desc, Cause: vocab.Cause(cause), ServiceVersion: version, Service: "inventory"}}}
	}
	reports := []analyzer.Report{
		failedAt("t1", 1, "inventory → sqlite SELECT stock", "db_error", "2.0.0"),
		failedAt("t2", 5, "inventory → sqlite SELECT stock", "db_error", "2.0.0"),
		failedAt("t3", 3, "orders → payments POST /charge", "peer_unreachable", "1.0.0"),
		{TraceID: "ok", Start: at(2)},
		failedAt("t4", 4, "inventory → sqlite SELECT stock", "db_error", ""),
	}
	f := analyzer.GroupFailures(reports)
	if f.Traces != 5 || f.Failed != 4 {
		t.Errorf("%d failed of %d traces, want 4 of 5", f.Failed, f.Traces)
	}
	groups := f.Groups
	if len(groups) != 2 {
		t.Fatalf("got %d groups: %+v", len(groups), groups)
	}
	g := groups[0]
	if g.Description != "inventory → sqlite SELECT stock" || g.Count != 3 {
		t.Errorf("first group = %q × %d, want the db_error × 3", g.Description, g.Count)
	}
	if g.Versions["2.0.0"] != 2 || g.Versions["unknown"] != 1 {
		t.Errorf("versions = %v", g.Versions)
	}
	if !g.FirstSeen.Equal(at(1)) || !g.LastSeen.Equal(at(5)) {
		t.Errorf("seen %v .. %v", g.FirstSeen, g.LastSeen)
	}
	if len(g.TraceIDs) != 3 || g.TraceIDs[0] != "t2" {
		t.Errorf("examples = %v, want the most recent first", g.TraceIDs)
	}
	if groups[1].Count != 1 || groups[1].Cause != "peer_unreachable" {
		t.Errorf("second group = %+v", groups[1])
	}
}
