package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/render"
	"github.com/failhop/failhop/jaeger"
)

func runErrors(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		c       commonFlags
		service string
		since   time.Duration
		limit   int
	)
	fs := newFlagSet("errors", "failhop errors --service S [flags]", &c)
	fs.StringVar(&service, "service", "", "the `service` whose failures to list (required)")
	fs.DurationVar(&since, "since", 15*time.Minute, "how far back to look")
	fs.IntVar(&limit, "limit", 500, "look at the most recent `N` traces at most")
	operands, err := parse(fs, args, stdout)
	switch {
	case err != nil:
		return err
	case len(operands) > 0:
		return usageError{fmt.Sprintf("unexpected argument %q", operands[0])}
	case service == "":
		return usageError{"--service is required"}
	case since <= 0 || limit <= 0:
		return usageError{"--since and --limit must be positive"}
	}

	// No error=true tag filter: Jaeger v2's memory store mishandles it
	// (it compares the tag's string value as a bool), so every recent trace
	// is fetched and the analyzer decides which ones failed.
	traces, err := jaeger.New(c.jaeger).FindTraces(ctx, jaeger.Query{Service: service, Since: since, Limit: limit})
	if err != nil {
		return err
	}
	rep := render.ErrorsReport{Service: service, Since: since.String(), Traces: len(traces)}
	reports := make([]analyzer.Report, 0, len(traces))
	for _, t := range traces {
		r := analyzer.Analyze(t)
		if r.Failed {
			rep.Failed++
		}
		reports = append(reports, r)
	}
	rep.Groups = analyzer.Summarize(reports)
	if c.json {
		return json.NewEncoder(stdout).Encode(rep)
	}
	out := render.New(stdout, c.jaeger)
	out.Errors(rep)
	return out.Err()
}
