package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
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

	client := jaeger.New(c.jaeger)
	f, err := client.FindFailures(ctx, jaeger.Query{Service: service, Since: since, Limit: limit})
	if err != nil {
		return err
	}
	if f.Traces == 0 {
		if err := knownService(ctx, client, service); err != nil {
			return err
		}
	}
	rep := render.ErrorsReport{Service: service, Since: since.String(), Failures: f, Sampling: render.KeptTraces}
	if c.json {
		return json.NewEncoder(stdout).Encode(rep)
	}
	out := render.New(stdout, c.links(ctx))
	out.Errors(rep)
	return out.Err()
}

// knownService returns an error naming the services Jaeger knows when
// service is not one of them: a typo must not read as "no failures".
func knownService(ctx context.Context, c *jaeger.Client, service string) error {
	services, err := c.Services(ctx)
	switch {
	case err != nil:
		return err
	case slices.Contains(services, service):
		return nil
	case len(services) == 0:
		return fmt.Errorf("Jaeger at %s has no service %q: it has no spans at all yet", c.BaseURL, service)
	}
	for i, s := range services {
		services[i] = strconv.Quote(s)
	}
	return fmt.Errorf("Jaeger at %s has no service %q; it knows %s", c.BaseURL, service, strings.Join(services, ", "))
}
