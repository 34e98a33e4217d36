package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

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

	f, err := jaeger.New(c.jaeger).FindFailures(ctx, jaeger.Query{Service: service, Since: since, Limit: limit})
	if err != nil {
		return err
	}
	rep := render.ErrorsReport{Service: service, Since: since.String(), Failures: f}
	if c.json {
		return json.NewEncoder(stdout).Encode(rep)
	}
	out := render.New(stdout, c.jaeger)
	out.Errors(rep)
	return out.Err()
}
