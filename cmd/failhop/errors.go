package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/failhop/failhop/internal/present/render"
	"github.com/failhop/failhop/internal/promapi"
	"github.com/failhop/failhop/internal/recent"
	"github.com/failhop/failhop/jaeger"
)

func runErrors(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		c       commonFlags
		service string
		since   time.Duration
		limit   int
		prom    string
	)
	fs := newFlagSet("errors", "failhop errors --service S [flags]", &c)
	fs.StringVar(&prom, "prometheus", os.Getenv(prometheusEnv), "the Prometheus `URL` of the collector's failure metrics: adds the service's requests and failures counted before sampling (or $"+prometheusEnv+")")
	fs.StringVar(&service, "service", "", "the `service` whose failures to list (required)")
	fs.DurationVar(&since, "since", defaultSince, "how far back to look")
	fs.IntVar(&limit, "limit", defaultLimit, "look at the most recent `N` traces at most")
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

	rep, err := findFailures(ctx, jaeger.New(c.jaeger), service, since, limit)
	if err != nil {
		return err
	}
	if prom != "" {
		counts, err := (&promapi.Client{BaseURL: prom}).RequestCounts(ctx, service, since)
		if err != nil {
			fmt.Fprintf(stderr, "failhop errors: no request counts: %v\n", err)
		} else {
			rep.Counted = &counts
		}
	}
	if c.json {
		doc, err := jsonDoc(rep)
		if err == nil {
			_, err = stdout.Write(doc)
		}
		return err
	}
	out := render.New(stdout, c.links(ctx))
	out.Errors(rep)
	return out.Err()
}

// The defaults of `failhop errors`, which the MCP tool failures uses too.
const (
	defaultSince = 15 * time.Minute
	defaultLimit = 500
)

// findFailures reads the recent traces of service from Jaeger (of every
// service when service is ""; limit traces of each, over the last since)
// and groups the failed ones by failing hop: what `failhop errors` prints
// and the MCP tool failures returns. A service Jaeger does not know is an
// error that names the services it knows.
func findFailures(ctx context.Context, c *jaeger.Client, service string, since time.Duration, limit int) (render.ErrorsReport, error) {
	f, err := recent.Failures(ctx, c, jaeger.Query{Service: service, Since: since, Limit: limit})
	if err != nil {
		return render.ErrorsReport{}, err
	}
	if f.Traces == 0 && service != "" {
		if err := knownService(ctx, c, service); err != nil {
			return render.ErrorsReport{}, err
		}
	}
	return render.NewErrorsReport(service, since, f), nil
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
