package analyzer_test

import (
	"testing"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/tracetest"
)

func BenchmarkAnalyze10k(b *testing.B) {
	for _, bc := range []struct {
		name   string
		silent bool
	}{{"failed-spans", false}, {"silent-spans", true}} {
		b.Run(bc.name, func(b *testing.B) {
			tr := tracetest.Mixed(10000, bc.silent)
			if r := analyzer.Analyze(tr); !r.Failed || len(r.Hops) != 1 || r.Hops[0].Service != "svc-7" {
				b.Fatalf("unexpected report: failed=%v hops=%+v", r.Failed, r.Hops)
			}
			b.ReportAllocs()
			for b.Loop() {
				analyzer.Analyze(tr)
			}
		})
	}
}

// BenchmarkAnalyzeHostile analyzes the shapes that were quadratic: a
// 50,000-span failing chain and a 50,000-span failing fan-out.
func BenchmarkAnalyzeHostile(b *testing.B) {
	for _, bc := range []struct {
		name  string
		trace *analyzer.Trace
		hops  int
	}{{"chain-50k", tracetest.Chain(50_000), 1}, {"fan-out-50k", tracetest.FanOut(50_000), 50}} {
		b.Run(bc.name, func(b *testing.B) {
			if r := analyzer.Analyze(bc.trace); !r.Failed || len(r.Hops) != bc.hops {
				b.Fatalf("unexpected report: failed=%v, %d hops", r.Failed, len(r.Hops))
			}
			b.ReportAllocs()
			for b.Loop() {
				analyzer.Analyze(bc.trace)
			}
		})
	}
}
