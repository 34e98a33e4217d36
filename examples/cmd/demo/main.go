// Command demo runs the demo shop's failure scenarios end to end: for each
// one it breaks the shop, sends a checkout through the gateway, fetches the
// request's trace from Jaeger, asks the failhop analyzer which hop broke and
// why, checks the answer, and repairs the shop.
//
//	demo list              the scenarios
//	demo run NAME...       run some
//	demo all               run all of them (exit status 1 if one fails)
//
// It starts the shop itself (see internal/shop); Jaeger, or the failhop
// collector in front of it, must be running:
//
//	bin/jaeger --config collector-config/jaeger.yaml
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/examples/internal/shop"
	"github.com/failhop/failhop/jaeger"
)

func main() {
	jaegerURL := flag.String("jaeger", envOr("JAEGER_URL", "http://127.0.0.1:16686"), "Jaeger query API (env JAEGER_URL)")
	otlp := flag.String("otlp", envOr("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"), "where the services send traces")
	dbURL := flag.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL; empty for SQLite (env DATABASE_URL)")
	freePorts := flag.Bool("free-ports", false, "listen on free ports instead of 8080-8083")
	verbose := flag.Bool("v", false, "show the services' logs")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: demo [flags] list | run NAME... | all\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	var names []string
	switch flag.Arg(0) {
	case "list":
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		for _, sc := range shop.Scenarios {
			fmt.Fprintf(w, "%s\t%s\n", sc.Name, sc.Summary)
		}
		w.Flush()
		return
	case "all":
		for _, sc := range shop.Scenarios {
			names = append(names, sc.Name)
		}
	case "run":
		names = flag.Args()[1:]
		for _, n := range names {
			if _, ok := shop.ScenarioByName(n); !ok {
				fatalf("no scenario %q (demo list)", n)
			}
		}
		if len(names) == 0 {
			fatalf("run: name a scenario (demo list)")
		}
	default:
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := shop.Config{
		OTLPEndpoint: *otlp, DatabaseURL: *dbURL, SchemaPrefix: "demo_",
		FreePorts: *freePorts, Progress: os.Stderr,
	}
	if *verbose {
		cfg.Logs = os.Stderr
	}
	s, err := shop.Start(ctx, cfg)
	if err != nil {
		fatalf("%v", err)
	}
	defer s.Close()

	r := &runner{shop: s, jaeger: jaeger.New(*jaegerURL), jaegerURL: strings.TrimRight(*jaegerURL, "/")}
	failed := 0
	for _, n := range names {
		sc, _ := shop.ScenarioByName(n)
		if err := r.run(ctx, sc); err != nil {
			failed++
			fmt.Printf("  FAIL: %v\n\n", err)
		} else {
			fmt.Printf("  ok\n\n")
		}
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Printf("%d of %d scenarios as expected\n", len(names)-failed, len(names))
	if failed > 0 {
		s.Close()
		os.Exit(1)
	}
}

type runner struct {
	shop      *shop.Shop
	jaeger    *jaeger.Client
	jaegerURL string
}

// run plays one scenario and checks the analyzer's answer.
func (r *runner) run(ctx context.Context, sc shop.Scenario) (err error) {
	fmt.Printf("== %s: %s\n", sc.Name, sc.Summary)
	if sc.Break != nil {
		if err := sc.Break(ctx, r.shop); err != nil {
			return fmt.Errorf("breaking the shop: %w", err)
		}
	}
	defer func() {
		if sc.Fix != nil {
			if ferr := sc.Fix(ctx, r.shop); ferr != nil && err == nil {
				err = fmt.Errorf("repairing the shop: %w", ferr)
			}
		}
	}()

	status, traceID, err := r.checkout(ctx, sc.Item)
	if err != nil {
		return err
	}
	fmt.Printf("  HTTP status:  %d\n", status)
	fmt.Printf("  trace:        %s/trace/%s\n", r.jaegerURL, traceID)
	tr, err := r.fetch(ctx, traceID)
	if err != nil {
		return err
	}
	rep := analyzer.Analyze(tr)

	var problems []string
	if status != sc.WantStatus {
		problems = append(problems, fmt.Sprintf("status %d, want %d", status, sc.WantStatus))
	}
	if len(rep.Hops) == 0 {
		fmt.Printf("  failing hop:  none (the request %s)\n", map[bool]string{true: "failed", false: "succeeded"}[rep.Failed])
	} else {
		h := rep.Hops[0]
		fmt.Printf("  failing hop:  %s\n", h.Description)
		fmt.Printf("  cause:        %s\n", h.Cause)
		if h.ServiceVersion != "" {
			fmt.Printf("  version:      %s %s\n", h.Service, h.ServiceVersion)
		}
		if h.Message != "" {
			fmt.Printf("  error:        %s\n", firstLine(h.Message))
		}
		fmt.Printf("  hint:         %s\n", h.Hint)
	}
	for _, h := range rep.NonFatal {
		fmt.Printf("  non-fatal:    %s (%s)\n", h.Description, h.Cause)
	}

	wantHop := strings.ReplaceAll(sc.WantHop, "DB", r.shop.DBSystem())
	switch {
	case sc.WantHop == "" && len(rep.Hops) > 0:
		problems = append(problems, "want no failing hop, got "+rep.Hops[0].Description)
	case sc.WantHop != "" && len(rep.Hops) == 0:
		problems = append(problems, "want failing hop "+wantHop+", got none")
	case sc.WantHop != "":
		h := rep.Hops[0]
		if !strings.HasPrefix(h.Description, wantHop) {
			problems = append(problems, fmt.Sprintf("hop %q, want %q...", h.Description, wantHop))
		}
		if h.Cause != sc.WantCause {
			problems = append(problems, fmt.Sprintf("cause %s, want %s", h.Cause, sc.WantCause))
		}
		if sc.WantVersion != "" && h.ServiceVersion != sc.WantVersion {
			problems = append(problems, fmt.Sprintf("version %q, want %q", h.ServiceVersion, sc.WantVersion))
		}
	}
	if sc.WantNonFatal && len(rep.NonFatal) == 0 {
		problems = append(problems, "want a non-fatal error, got none")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

var traceResponse = regexp.MustCompile(`^00-([0-9a-f]{32})-`)

// checkout sends GET /checkout?item=N through the gateway, as a user would,
// with a traceparent of our own so that even a successful request's trace
// can be found (a failed one's ID also comes back in Traceresponse).
func (r *runner) checkout(ctx context.Context, item int) (status int, traceID string, err error) {
	var tid [16]byte
	var sid [8]byte
	rand.Read(tid[:])
	rand.Read(sid[:])
	traceID = hex.EncodeToString(tid[:])
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.shop.URL("gateway")+"/checkout?item="+strconv.Itoa(item), nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Traceparent", "00-"+traceID+"-"+hex.EncodeToString(sid[:])+"-01")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if m := traceResponse.FindStringSubmatch(resp.Header.Get("Traceresponse")); m != nil {
		traceID = m[1]
	}
	return resp.StatusCode, traceID, nil
}

// fetch polls Jaeger for the trace until it is there and has stopped
// growing (services export their spans in batches, and a callee may still
// be working when the gateway answered).
func (r *runner) fetch(ctx context.Context, traceID string) (*analyzer.Trace, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var last *analyzer.Trace
	stable := 0
	for {
		tr, err := r.jaeger.Trace(ctx, traceID)
		switch {
		case err == nil:
			if last != nil && len(tr.Spans) == len(last.Spans) {
				stable++
			} else {
				stable = 0
			}
			last = tr
			if stable >= 3 { // unchanged for 1.5 seconds
				return tr, nil
			}
		case errors.Is(err, jaeger.ErrNotFound):
		default:
			return nil, err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return last, nil
			}
			return nil, fmt.Errorf("trace %s not in Jaeger: %w", traceID, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "demo: "+format+"\n", args...)
	os.Exit(1)
}
