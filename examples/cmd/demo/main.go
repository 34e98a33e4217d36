// Command demo runs the demo shop's failure scenarios end to end: for each
// one it breaks the shop, sends a checkout through the gateway, fetches the
// request's trace from Jaeger, asks the failhop analyzer which hop broke and
// why, checks the answer, and repairs the shop. `make demo` runs it.
//
//	demo list              the scenarios
//	demo run NAME...       run some
//	demo all               run all of them
//
// By default it starts the local pipeline itself (Jaeger and the failhop
// collector, see internal/devstack/stack), failhop's page (what failhop serve
// serves, on 127.0.0.1:16680, FAILHOP_PAGE_PORT moves it) and the shop,
// prints a table of the results, checks that Jaeger's search for failhop.root_cause=true finds
// exactly the failing hops, and keeps everything up until Ctrl-C so that
// you can look around. With --once (or DEMO_ONCE=1) it exits after the
// table instead, with status 1 if a scenario's answer was wrong. With
// --jaeger URL it uses a pipeline that is already running.
//
// It measures the time to answer of each failed request: from the
// failing response to its failing hop marked failhop.root_cause in Jaeger.
// By default the pipeline runs on the demo's settings (demoCollectorEnv,
// the services exporting every 200 ms), tuned so that answers come in
// about a second. With --defaults it runs as a user's pipeline does:
// the collector on collector-config/otelcol.yaml's own defaults (root and
// decision waits) and the services on exporters.Setup's (the batch span
// processor's 5 s schedule, a failed request exported at once), each
// setting still taken from the environment when set there.
// --plain-export names services that export as a service without failhop's
// exporters.Setup does (FAILHOP_EXPORT_ON_ERROR=false: the SDK's batch
// span processor alone), for a mixed fleet. --rounds plays the scenarios
// several times, for percentiles over more failed requests:
//
//	demo --once --free-ports --defaults --rounds 3 all
//
// It listens on the ports of stack.PortsFromEnv (the variables of
// collector-config/ move them: JAEGER_QUERY_PORT=..., ...), the page's and
// the shop's 8080-8084, or with --free-ports (DEMO_FREE_PORTS=1) on free ones. Before
// it starts anything it checks that they are free, and names the process
// that holds a taken one. Whatever way it ends, it stops what it started.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/examples/internal/shop"
	"github.com/failhop/failhop/internal/devstack/stack"
	"github.com/failhop/failhop/internal/present/render"
	"github.com/failhop/failhop/internal/present/webui"
	"github.com/failhop/failhop/internal/promapi"
	"github.com/failhop/failhop/jaeger"
)

func main() { os.Exit(run()) }

// run runs the demo and returns its exit status. Every way out of it,
// errors and Ctrl-C included, goes through its defers, which stop the shop
// and the stack it started.
func run() int {
	f := parseFlags()
	names, status, ok := scenarioNames(flag.Args())
	if !ok {
		return status
	}
	if f.rounds < 1 {
		return failf("--rounds must be at least 1")
	}
	shopEnv, err := plainExportEnv(f.plainExport)
	if err != nil {
		return failf("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Every port the demo listens on must be free before anything starts.
	pagePort, shopPorts, err := demoPorts(f.freePorts)
	if err != nil {
		return failf("%v", err)
	}
	var prom *promapi.Client // nil without Prometheus
	ownStack := f.jaegerURL == ""
	if ownStack {
		st, err := startStack(ctx, f.freePorts, f.dir, shopPorts, moveAllPorts, collectorEnv(f.defaults))
		if err != nil {
			stack.PrintError(os.Stderr, "demo: ", err)
			return 1
		}
		defer st.Close()
		f.jaegerURL, f.otlp = st.JaegerURL, "http://"+st.OTLPGRPCEndpoint
		var promSvc *stack.Service
		if promSvc, prom = startPrometheus(ctx, st, f.dir, f.freePorts); promSvc != nil {
			defer promSvc.Stop()
		}
	} else if !f.freePorts {
		if err := stack.CheckPorts(shopPorts); err != nil {
			stack.PrintError(os.Stderr, "demo: ", err)
			return 1
		}
	}
	page, err := startPage(pagePort, f.jaegerURL, prom)
	if err != nil {
		return failf("%v", err)
	}
	defer page.Close()
	s, err := shop.Start(ctx, f.shopConfig(shopEnv))
	if err != nil {
		stack.PrintError(os.Stderr, "demo: ", err)
		return 1
	}
	defer s.Close()

	wrong := playAndReport(ctx, f, names, s, page.URL, ownStack, prom)
	if f.once || ctx.Err() != nil {
		if wrong {
			return 1
		}
		return 0
	}
	printStillRunning(f.jaegerURL, s.URL("gateway"), page.URL, prom)
	<-ctx.Done()
	return 0
}

// demoFlags are the demo's command-line flags.
type demoFlags struct {
	jaegerURL, otlp, dbURL, dir, plainExport string
	freePorts, once, verbose, defaults       bool
	rounds                                   int
}

// parseFlags parses the command line's flags.
func parseFlags() *demoFlags {
	f := &demoFlags{}
	flag.StringVar(&f.jaegerURL, "jaeger", os.Getenv("JAEGER_URL"), "Jaeger query API of a running pipeline (env JAEGER_URL); empty starts the local one")
	flag.StringVar(&f.otlp, "otlp", cmp.Or(os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "http://127.0.0.1:4317"), "with --jaeger: where the services send traces")
	flag.StringVar(&f.dbURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL; empty for SQLite (env DATABASE_URL)")
	flag.BoolVar(&f.freePorts, "free-ports", os.Getenv("DEMO_FREE_PORTS") == "1", "listen on free ports instead of the usual ones (8080-8084, 16686, 4317...) (env DEMO_FREE_PORTS=1)")
	flag.BoolVar(&f.once, "once", os.Getenv("DEMO_ONCE") == "1", "exit after the results instead of keeping the stack up (env DEMO_ONCE=1)")
	flag.StringVar(&f.dir, "dir", "", "`directory` of the stack's logs and queue (default .cache/demo in the repository)")
	flag.BoolVar(&f.verbose, "v", false, "show the services' logs")
	flag.BoolVar(&f.defaults, "defaults", false, "run on the shipped defaults instead of the demo's settings: the collector on its config's root and decision waits, the services on exporters.Setup's export (what the environment sets still applies)")
	flag.StringVar(&f.plainExport, "plain-export", "", "comma-separated `services` that export without failhop's early export of failed requests (FAILHOP_EXPORT_ON_ERROR=false), as services on other SDKs do: a mixed fleet")
	flag.IntVar(&f.rounds, "rounds", 1, "play the scenarios this many times")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: demo [flags] list | run NAME... | all\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	return f
}

// scenarioNames returns the scenarios the command (list, all, run NAME...)
// asks for. When there are none to play (list, a mistake) ok is false and
// status is the exit status, the list or the error printed.
func scenarioNames(args []string) (names []string, status int, ok bool) {
	var cmd string
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "list":
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		for _, sc := range shop.Scenarios {
			fmt.Fprintf(w, "%s\t%s\n", sc.Name, sc.Summary)
		}
		w.Flush()
		return nil, 0, false
	case "all":
		for _, sc := range shop.Scenarios {
			names = append(names, sc.Name)
		}
	case "run":
		names = args[1:]
		for _, n := range names {
			if _, ok := shop.ScenarioByName(n); !ok {
				return nil, failf("no scenario %q (demo list)", n), false
			}
		}
		if len(names) == 0 {
			return nil, failf("run: name a scenario (demo list)"), false
		}
	default:
		flag.Usage()
		return nil, 2, false
	}
	return names, 0, true
}

// plainExportEnv is the environment of the shop's services that --plain-export
// names: FAILHOP_EXPORT_ON_ERROR=false.
func plainExportEnv(plainExport string) (map[string][]string, error) {
	env := map[string][]string{}
	for _, name := range list(plainExport) {
		if !slices.Contains(shop.Services, name) {
			return nil, fmt.Errorf("--plain-export: no service %q (the shop's: %s)", name, strings.Join(shop.Services, ", "))
		}
		env[name] = append(env[name], "FAILHOP_EXPORT_ON_ERROR=false")
	}
	return env, nil
}

// moveAllPorts says how to move every port of the demo, after how to move
// one.
const moveAllPorts = "or every port with DEMO_FREE_PORTS=1"

// demoPorts returns the port of failhop's page, a free one with freePorts,
// and the ports the demo itself listens on: the shop's and the page's.
func demoPorts(freePorts bool) (int, []stack.Port, error) {
	shopPorts := shop.DefaultPorts("move it with DEMO_FREE_PORTS=1 (every port of the demo on a free one)")
	pagePort, err := webui.PortFromEnv()
	if freePorts {
		var free []int
		if free, err = stack.FreePorts(1); err == nil {
			pagePort = free[0]
		}
	}
	if err != nil {
		return 0, nil, err
	}
	shopPorts = append(shopPorts, stack.Port{Port: pagePort, What: "failhop's page", Move: "move it with " + webui.PortEnv + "=..., " + moveAllPorts})
	return pagePort, shopPorts, nil
}

// startPage starts failhop's page on the port, reading jaegerURL and
// Prometheus: prom's, or FAILHOP_PROMETHEUS_URL's without one.
func startPage(port int, jaegerURL string, prom *promapi.Client) (*webui.Running, error) {
	promURL := os.Getenv("FAILHOP_PROMETHEUS_URL")
	if prom != nil {
		promURL = prom.BaseURL
	}
	page, err := webui.Start(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), jaegerURL, jaegerURL, promURL)
	if err != nil {
		return nil, fmt.Errorf("failhop's page: %v (move it with %s=...)", err, webui.PortEnv)
	}
	fmt.Fprintf(os.Stderr, "demo: failhop's page: %s (the failed requests, by the hop that broke them)\n", page.URL)
	return page, nil
}

// shopConfig is the shop's configuration, with env added to its services'.
func (f *demoFlags) shopConfig(env map[string][]string) shop.Config {
	cfg := shop.Config{
		OTLPEndpoint: f.otlp, DatabaseURL: f.dbURL, SchemaPrefix: "demo_",
		FreePorts: f.freePorts, Progress: os.Stderr,
		SetupDefaults: f.defaults, Env: env,
	}
	if f.verbose {
		cfg.Logs = os.Stderr
	}
	return cfg
}

// playAndReport plays the scenarios for the rounds asked, prints the table
// of results, the settings, what Jaeger's search for failhop.root_cause=true
// finds and, with Prometheus, the alerting. It reports whether an answer
// or the search was wrong.
func playAndReport(ctx context.Context, f *demoFlags, names []string, s *shop.Shop, pageURL string, ownStack bool, prom *promapi.Client) (wrong bool) {
	r := &runner{shop: s, jaeger: jaeger.New(f.jaegerURL), links: render.Links{Base: strings.TrimRight(f.jaegerURL, "/")}, settle: settleFor(f.defaults)}
	if !r.jaeger.ServesUI(ctx) {
		r.links = render.Links{Base: strings.TrimRight(pageURL, "/"), Page: true} // link to the page, not Jaeger's placeholder
	}
	var results []result
	for round := range f.rounds {
		if f.rounds > 1 {
			fmt.Printf("== round %d of %d\n\n", round+1, f.rounds)
		}
		results = append(results, r.runAll(ctx, names)...)
		if ctx.Err() != nil {
			break
		}
	}
	printTable(os.Stdout, results)
	fmt.Println(describeSettings(f.defaults, ownStack, list(f.plainExport)))
	searchErr := r.checkRootCauseSearch(ctx, results)
	if searchErr != nil {
		fmt.Printf("Jaeger search failhop.root_cause=true: %v\n", searchErr)
	} else {
		fmt.Printf("Jaeger search failhop.root_cause=true: finds exactly the %d failing hops above.\n", countHops(results))
	}
	if prom != nil {
		printAlerting(ctx, os.Stdout, prom, results)
	}
	return slices.IndexFunc(results, func(res result) bool { return res.err != nil }) >= 0 || searchErr != nil
}

// printStillRunning says what is still running and how to look at it.
func printStillRunning(jaegerURL, gatewayURL, pageURL string, prom *promapi.Client) {
	fmt.Printf(`
Everything is still running. Look around:
  the page:    %[3]s  (the failed requests by failing hop; click one)
  Jaeger:      %[1]s  (search the tag failhop.root_cause=true; this Jaeger
               build serves the API only: use failhop why, or docker compose
               up for the full UI)
  failhop:     bin/failhop why --jaeger %[1]s <trace-id>     (from the repository root)
               bin/failhop errors --jaeger %[1]s --service inventory
  AI assistants: %[4]s mcp --jaeger %[1]s  (register it with your MCP client, docs/cli.md)
  the shop:    curl -i '%[2]s/checkout?item=1'
%[5]sPress Ctrl-C to stop.
`, jaegerURL, gatewayURL, pageURL, failhopBin(), prometheusLine(prom))
}

// failhopBin is the failhop CLI's absolute path, bin/failhop in the
// repository: an MCP client starts the command it is given from a
// directory of its own.
func failhopBin() string {
	root, err := stack.RepoRoot()
	if err != nil {
		return "bin/failhop"
	}
	return filepath.Join(root, "bin", "failhop")
}

// demoCollectorEnv keeps every trace (a demo wants to show the healthy
// ones too) and holds a trace's root span for 300 ms (the shop's services
// export every 200 ms), so that it is decided 0.3 to 1.3 s after its root
// span is in, or 5 s after its first span (slow-db's trace lasts 1.5 s).
var demoCollectorEnv = []string{"FAILHOP_SAMPLE_PERCENT=100", "FAILHOP_DECISION_WAIT=5s", "FAILHOP_ROOT_WAIT=300ms"}

// defaultsCollectorEnv is the collector's config with its own waits. It
// keeps every trace all the same: the healthy scenarios look for theirs,
// and what is kept of the successful traffic does not change when a
// failed trace is decided.
var defaultsCollectorEnv = []string{"FAILHOP_SAMPLE_PERCENT=100"}

// collectorEnv is the collector's environment for the demo's settings or,
// with defaults, for the config's.
func collectorEnv(defaults bool) []string {
	if defaults {
		return defaultsCollectorEnv
	}
	return demoCollectorEnv
}

// The settings that decide the time to answer, and where they are read.
const (
	rootWait      = "FAILHOP_ROOT_WAIT"       // the collector's
	decisionWait  = "FAILHOP_DECISION_WAIT"   // the collector's
	scheduleDelay = "OTEL_BSP_SCHEDULE_DELAY" // the services'
)

// describeSettings says what a run measured: the collector's waits (when
// the demo started it) and how the services export.
func describeSettings(defaults, ownStack bool, plain []string) string {
	var b strings.Builder
	b.WriteString("settings: ")
	if ownStack {
		env := map[string]string{}
		if defaults {
			if root, err := stack.RepoRoot(); err == nil {
				if d, err := stack.ConfigDefaults(filepath.Join(root, "collector-config", "otelcol.yaml")); err == nil {
					env = d
				}
			}
			for _, k := range []string{rootWait, decisionWait} {
				if v := os.Getenv(k); v != "" {
					env[k] = v + " (from the environment)"
				}
			}
		} else {
			for _, kv := range demoCollectorEnv {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
		fmt.Fprintf(&b, "collector %s=%s %s=%s", rootWait, cmp.Or(env[rootWait], "?"), decisionWait, cmp.Or(env[decisionWait], "?"))
		if defaults {
			b.WriteString(" (collector-config/otelcol.yaml's defaults)")
		}
		b.WriteString("; ")
	}
	delay := "200"
	if defaults {
		delay = cmp.Or(os.Getenv(scheduleDelay), "5000 (the SDK's default)")
	}
	fmt.Fprintf(&b, "services %s=%s", scheduleDelay, delay)
	if len(plain) == 0 {
		b.WriteString(", every one exporting a failed request at once (exporters.Setup)")
	} else {
		fmt.Fprintf(&b, ", exporting a failed request at once except %s (FAILHOP_EXPORT_ON_ERROR=false)", strings.Join(plain, ", "))
	}
	return b.String()
}

// list splits a comma-separated flag value.
func list(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// startStack starts Jaeger and the failhop collector (with env) on the
// ports the user's environment says (stack.PortsFromEnv) or on free ones.
// It first checks that the stack's ports and also (the shop's) are free.
func startStack(ctx context.Context, freePorts bool, dir string, also []stack.Port, moveAll string, env []string) (*stack.Stack, error) {
	root, err := stack.RepoRoot()
	if err != nil {
		return nil, err
	}
	cfg := stack.Config{
		Root: root, Dir: cmp.Or(dir, filepath.Join(root, ".cache", "demo")), Progress: os.Stderr,
		CollectorEnv: env,
	}
	if !freePorts {
		if cfg.Ports, err = stack.PortsFromEnv(); err != nil {
			return nil, err
		}
		cfg.AlsoCheck, cfg.MoveAlso = also, moveAll
	}
	return stack.Start(ctx, cfg)
}

// result is the outcome of one scenario.
type result struct {
	scenario string
	status   int
	traceID  string
	hop      *analyzer.Hop // nil when the analyzer found none
	// answered is how long after the response Jaeger had the trace with
	// its failing hop marked (zero without a failing hop).
	answered time.Duration
	// markedElsewhere is set when the span the collector marked first is
	// not the failing hop found in the whole trace: a span of the failing
	// hop came after the collector decided the trace.
	markedElsewhere bool
	err             error // why the answer was wrong, nil if right
}

// runAll plays the scenarios in order, printing each one's details.
func (r *runner) runAll(ctx context.Context, names []string) []result {
	var results []result
	for _, n := range names {
		sc, _ := shop.ScenarioByName(n)
		res := r.run(ctx, sc)
		if res.err != nil {
			fmt.Printf("  FAIL: %v\n\n", res.err)
		} else {
			fmt.Printf("  ok\n\n")
		}
		results = append(results, res)
		if ctx.Err() != nil {
			break
		}
	}
	return results
}

func printTable(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SCENARIO\tHTTP\tFAILING HOP\tCAUSE\tVERSION\tRESULT\n")
	right := 0
	for _, res := range results {
		hop, cause, version := "none", "-", "-"
		if res.hop != nil {
			hop, cause, version = res.hop.Description, string(res.hop.Cause), cmp.Or(res.hop.ServiceVersion, "-")
		}
		verdict := "as expected"
		if res.err != nil {
			verdict = "WRONG"
		} else {
			right++
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", res.scenario, res.status, hop, cause, version, verdict)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d of %d scenarios as expected\n", right, len(results))
	if t := answerTimes(results); len(t) > 0 {
		fmt.Fprintf(w, "time to answer (response out → failing hop marked in Jaeger): p50 %.1fs, p90 %.1fs, p99 %.1fs, of %d failed requests\n",
			percentile(t, 50).Seconds(), percentile(t, 90).Seconds(), percentile(t, 99).Seconds(), len(t))
	}
	if n := countMarkedElsewhere(results); n > 0 {
		fmt.Fprintf(w, "of which %d marked on another span than their failing hop: a span of the hop came after the collector decided the trace (docs/pipeline.md, \"Deciding once the root span is in\")\n", n)
	}
}

// percentile is the p-th percentile of sorted t, by the nearest rank: of
// fewer than 100 figures, p99 is the slowest.
func percentile(t []time.Duration, p int) time.Duration {
	return t[max(0, (p*len(t)+99)/100-1)]
}

func countMarkedElsewhere(results []result) int {
	n := 0
	for _, res := range results {
		if res.markedElsewhere {
			n++
		}
	}
	return n
}

// answerTimes returns, sorted, how long each failed request's answer took
// to be in Jaeger.
func answerTimes(results []result) []time.Duration {
	var t []time.Duration
	for _, res := range results {
		if res.answered > 0 {
			t = append(t, res.answered)
		}
	}
	slices.Sort(t)
	return t
}

// checkRootCauseSearch asks Jaeger for the spans tagged
// failhop.root_cause=true, as a user would in its search form, and checks
// that they are exactly the failing hops the scenarios found.
func (r *runner) checkRootCauseSearch(ctx context.Context, results []result) error {
	want := map[string]result{} // span ID → its scenario's result
	traces := map[string]bool{}
	for _, res := range results {
		if res.hop != nil {
			want[res.hop.SpanID] = res
			traces[res.traceID] = true
		}
	}
	got := map[string]string{} // span ID → where, for the error
	for _, service := range shop.Services {
		found, err := r.jaeger.FindTraces(ctx, jaeger.Query{
			Service: service, Since: time.Hour, Limit: 1000,
			Tags: map[string]string{"failhop.root_cause": "true"},
		})
		if err != nil {
			return err
		}
		for _, t := range found {
			if !traces[t.TraceID] {
				continue // an earlier run's
			}
			for _, sp := range t.Spans {
				if sp.Bool("failhop.root_cause") {
					got[sp.SpanID] = fmt.Sprintf("%s %q in trace %s", sp.Service, sp.Name, t.TraceID)
				}
			}
		}
	}
	var problems []string
	for id, res := range want {
		if got[id] == "" {
			problems = append(problems, fmt.Sprintf("span %s, the failing hop of %s, is not marked (%s)", id, res.scenario, r.marksOf(ctx, res.traceID)))
		}
	}
	for id, where := range got {
		if _, ok := want[id]; !ok {
			problems = append(problems, fmt.Sprintf("span %s (%s) is marked but is no failing hop", id, where))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// marksOf describes the spans of a trace as Jaeger has them, with the
// failhop marks each carries: what to look at when the search and the
// analysis disagree.
func (r *runner) marksOf(ctx context.Context, traceID string) string {
	tr, err := r.jaeger.Trace(ctx, traceID)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "trace %s has %d spans:", tr.TraceID, len(tr.Spans))
	for _, sp := range tr.Spans {
		fmt.Fprintf(&b, " [%s %s %q status=%s parent=%s +%s..+%s", sp.SpanID, sp.Service, sp.Name, cmp.Or(string(sp.Status), "unset"),
			cmp.Or(sp.ParentSpanID, "none"), sp.Start.Sub(tr.Spans[0].Start), sp.End.Sub(tr.Spans[0].Start))
		for k, v := range sp.Attributes {
			if strings.HasPrefix(k, "failhop.") {
				fmt.Fprintf(&b, " %s=%v", k, v)
			}
		}
		b.WriteString("]")
	}
	return b.String()
}

// spanNames names the spans of tr with the given IDs: service, name and
// ID of each.
func spanNames(tr *analyzer.Trace, ids []string) string {
	var names []string
	for _, id := range ids {
		name := id
		for _, sp := range tr.Spans {
			if sp.SpanID == id {
				name = fmt.Sprintf("%s %q (%s)", sp.Service, sp.Name, id)
			}
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

func countHops(results []result) int {
	n := 0
	for _, res := range results {
		if res.hop != nil {
			n++
		}
	}
	return n
}

type runner struct {
	shop   *shop.Shop
	jaeger *jaeger.Client
	links  render.Links // where traces are linked: Jaeger's UI, or failhop's page
	// settle is how long a trace must keep the same spans in Jaeger to
	// count as whole: longer than the services' export delay (zero:
	// demoSettle).
	settle time.Duration
}

// demoSettle is runner.settle for services that export every 200 ms.
const demoSettle = 1500 * time.Millisecond

// settleFor is runner.settle for the services' export: with defaults, the
// batch span processor's schedule (OTEL_BSP_SCHEDULE_DELAY, 5 s unless the
// environment says otherwise) and a margin; else demoSettle.
func settleFor(defaults bool) time.Duration {
	if !defaults {
		return demoSettle
	}
	ms, err := strconv.Atoi(os.Getenv(scheduleDelay))
	if err != nil || ms <= 0 {
		ms = 5000
	}
	return time.Duration(ms)*time.Millisecond + demoSettle
}

// run plays one scenario and checks the analyzer's answer.
func (r *runner) run(ctx context.Context, sc shop.Scenario) (res result) {
	res.scenario = sc.Name
	res.err = r.play(ctx, sc, &res)
	return res
}

// play breaks the shop as sc says, sends the request, analyzes its trace
// into res, and repairs the shop. It returns why the answer was wrong.
func (r *runner) play(ctx context.Context, sc shop.Scenario, res *result) (err error) {
	fmt.Printf("== %s: %s\n", sc.Name, sc.Summary)
	if sc.Break != nil {
		if err := sc.Break(ctx, r.shop); err != nil {
			return fmt.Errorf("breaking the shop: %w", err)
		}
	}
	defer func() {
		if sc.Fix != nil {
			if ferr := r.repair(ctx, sc); ferr != nil && err == nil {
				err = fmt.Errorf("repairing the shop: %w", ferr)
			}
		}
	}()

	status, traceID, err := r.checkout(ctx, sc.Item, sc.WantHop == "")
	if err != nil {
		return err
	}
	if traceID == "" {
		return fmt.Errorf("status %d, want %d, and no Traceresponse header to find its trace by", status, sc.WantStatus)
	}
	answeredAt := time.Now()
	res.status, res.traceID = status, traceID
	fmt.Printf("HTTP status %d, trace %s/trace/%s\n", status, r.links.Base, traceID)
	var marked []string
	if sc.WantHop != "" {
		if res.answered, marked, err = r.waitMarked(ctx, traceID, answeredAt); err != nil {
			return err
		}
		fmt.Printf("marked in Jaeger %.1fs after the response\n", res.answered.Seconds())
	}
	tr, err := r.fetch(ctx, traceID)
	if err != nil {
		return err
	}
	rep := analyzer.Analyze(tr)
	// As `failhop why` prints it.
	out := render.New(os.Stdout, r.links)
	out.Report(rep)
	if err := out.Err(); err != nil {
		return err
	}

	if len(rep.Hops) > 0 {
		h := rep.Hops[0]
		res.hop = &h
		if len(marked) > 0 && !slices.Contains(marked, h.SpanID) {
			res.markedElsewhere = true
			fmt.Printf("  the collector marked %s, not the failing hop (%s): the hop's spans came after it decided the trace\n", spanNames(tr, marked), h.SpanID)
		}
	}
	problems := answerProblems(sc, status, rep, strings.ReplaceAll(sc.WantHop, "DB", r.shop.DBSystem()))
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// answerProblems lists what in the status and the report differs from what
// the scenario wants; wantHop is its WantHop with the shop's database.
func answerProblems(sc shop.Scenario, status int, rep analyzer.Report, wantHop string) []string {
	var problems []string
	if status != sc.WantStatus {
		problems = append(problems, fmt.Sprintf("status %d, want %d", status, sc.WantStatus))
	}
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
		if string(h.Cause) != sc.WantCause {
			problems = append(problems, fmt.Sprintf("cause %s, want %s", h.Cause, sc.WantCause))
		}
		if sc.WantVersion != "" && h.ServiceVersion != sc.WantVersion {
			problems = append(problems, fmt.Sprintf("version %q, want %q", h.ServiceVersion, sc.WantVersion))
		}
	}
	if sc.WantNonFatal && len(rep.NonFatal) == 0 {
		problems = append(problems, "want a non-fatal error, got none")
	}
	return problems
}

var traceResponse = regexp.MustCompile(`^00-([0-9a-f]{32})-`)

// repair runs sc's fix, then waits until a checkout succeeds again (a
// client may take a moment to reconnect to a restarted service).
func (r *runner) repair(ctx context.Context, sc shop.Scenario) error {
	if err := sc.Fix(ctx, r.shop); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		status, traceID, err := r.checkout(ctx, 1, false)
		if err == nil && status == http.StatusOK {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("checkout answered %d (trace %s)", status, traceID)
			}
			return fmt.Errorf("the shop did not recover in 10s: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// checkout sends GET /checkout?item=N through the gateway, as a user
// would. A failed request's trace ID comes back in Traceresponse. With
// traceparent, the request carries a trace context of our own, so that a
// successful request's trace can be found too; the gateway's span then has
// a parent that nobody exports, so the collector never sees the trace's
// root and decides it only after its decision wait: a failure is sent
// without, as a user's browser or curl would.
func (r *runner) checkout(ctx context.Context, item int, traceparent bool) (status int, traceID string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.shop.URL("gateway")+"/checkout?item="+strconv.Itoa(item), nil)
	if err != nil {
		return 0, "", err
	}
	if traceparent {
		var tid [16]byte
		var sid [8]byte
		rand.Read(tid[:])
		rand.Read(sid[:])
		traceID = hex.EncodeToString(tid[:])
		req.Header.Set("Traceparent", "00-"+traceID+"-"+hex.EncodeToString(sid[:])+"-01")
	}
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

// waitMarked polls Jaeger, every 50 ms, until the trace has a span marked
// failhop.root_cause, and returns how long after since that was (the time
// an on-call person waits for the answer once the failing response is
// out) and the IDs of the spans so marked.
func (r *runner) waitMarked(ctx context.Context, traceID string, since time.Time) (time.Duration, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		tr, err := r.jaeger.Trace(ctx, traceID)
		if err == nil {
			var marked []string
			for _, sp := range tr.Spans {
				if sp.Bool("failhop.root_cause") {
					marked = append(marked, sp.SpanID)
				}
			}
			if len(marked) > 0 {
				return time.Since(since), marked, nil
			}
		}
		if err != nil && !errors.Is(err, jaeger.ErrNotFound) {
			return 0, nil, err
		}
		select {
		case <-ctx.Done():
			return 0, nil, fmt.Errorf("no span of trace %s marked failhop.root_cause in Jaeger after 30s", traceID)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// fetch waits until Jaeger has the whole trace: every service has
// exported its spans (r.settle).
func (r *runner) fetch(ctx context.Context, traceID string) (*analyzer.Trace, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return r.jaeger.WaitForTrace(ctx, traceID, cmp.Or(r.settle, demoSettle), nil)
}

// failf reports an error and returns the exit status 1.
func failf(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "demo: "+format+"\n", args...)
	return 1
}
