// Command load measures what failhop's tracing costs the healthy demo shop
// under load. It starts the local pipeline (Jaeger and the failhop
// collector, see internal/devstack/stack, on free ports, keeping 10% of
// the healthy traces as in production: FAILHOP_SAMPLE_PERCENT=10, the default 10s
// decision wait), then, in each round and for each mode named by -modes
// (default traced,untraced), a fresh copy of the shop on free ports with
// its own SQLite files:
//
//   - traced: the shop as it is, every request traced and its spans
//     exported to the collector with the SDK's default batching
//     (OTEL_BSP_SCHEDULE_DELAY=5000, where the demo uses 200);
//   - unexported: the same binaries with OTEL_TRACES_EXPORTER=none: every
//     span is made, filled and marked as in traced, but none is exported.
//     Next to traced, it tells what making spans costs from what exporting
//     them costs;
//   - untraced: the same binaries with OTEL_SDK_DISABLED=true, so that
//     exporters.Setup installs no SDK. failhop's wrappers (Handler,
//     Transport, OpenDB) stay in place but create no recording spans and
//     nothing is exported. This is not "no wrappers at all": the in-process
//     benchmarks in docs/performance.md give that floor.
//
// Then it drives GET /checkout?item=1 (the healthy checkout) through each
// shop's gateway with -c concurrent workers, each sending its next request
// as soon as the previous one is answered: -warmup unrecorded, then -d
// recorded. The modes take turns over -rounds rounds, each round starting
// with the next mode, so that drift in the machine's load spreads over all
// alike, and each on a copy of the shop of its own, so that one copy's luck
// does not decide a mode's figures. It prints each round (with the CPU the
// machine's other processes took meanwhile, to spot a busy machine), then
// a summary: requests/s (median of the rounds), latency percentiles (over
// all the rounds' requests), errors, each mode's throughput relative to
// untraced, and the CPU time each process spent per request (Linux).
//
//	cd examples && go run ./cmd/load
//	go run ./cmd/load -c 16 -d 30s -rounds 5
//	go run ./cmd/load -modes traced,unexported,untraced
//
// It exits with status 1 when more than -max-errors of a mode's requests
// failed (a transport error or a status other than 200). Every process it
// started is stopped at the end, on Ctrl-C too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/failhop/failhop/examples/internal/shop"
	"github.com/failhop/failhop/internal/devstack/stack"
)

func main() {
	os.Exit(run())
}

type options struct {
	modes          []string
	workers        int
	warmup, window time.Duration
	rounds         int
	item           int
	pause          time.Duration
	maxErrors      float64
}

func run() int {
	var o options
	flag.IntVar(&o.workers, "c", 8, "concurrent workers (closed loop: one request in flight each)")
	flag.DurationVar(&o.window, "d", 15*time.Second, "measured duration of each round")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unrecorded load before each round's measurement")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every mode, starting with the next one")
	flag.IntVar(&o.item, "item", 1, "the item to check out (1 is the healthy checkout)")
	flag.DurationVar(&o.pause, "pause", 16*time.Second, "idle time before each run, so that the previous run's last spans are exported (the SDK's 5s batching) and decided by the collector (its 10s decision wait)")
	flag.Float64Var(&o.maxErrors, "max-errors", 0.001, "highest tolerated share of failed requests per mode")
	modes := flag.String("modes", "traced,untraced", "comma-separated modes to compare: traced, unexported, untraced (untraced is the baseline and always included)")
	flag.Parse()
	if o.workers < 1 || o.rounds < 1 || o.window <= 0 || o.warmup < 0 {
		fmt.Fprintln(os.Stderr, "load: -c, -rounds and -d must be positive")
		return 2
	}
	var err error
	if o.modes, err = parseModes(*modes); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir, err := os.MkdirTemp("", "failhop-load-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 1
	}
	code := measure(ctx, o, dir)
	if code == 0 {
		os.RemoveAll(dir)
	} else {
		fmt.Fprintf(os.Stderr, "load: logs kept in %s\n", dir)
	}
	if ctx.Err() != nil {
		return 130
	}
	return code
}

// modeSetting is a mode and the environment that makes its copy of the
// shop.
type modeSetting struct{ name, env string }

// modeSettings are the modes -modes may name, in the order the summary
// lists them.
var modeSettings = []modeSetting{
	{untraced, "OTEL_SDK_DISABLED=true"},
	{"unexported", "OTEL_TRACES_EXPORTER=none"},
	// Export as a production service does, with the SDK's default 5s
	// batching (the shop's own 200ms is for the demo, which waits for
	// its traces).
	{traced, "OTEL_BSP_SCHEDULE_DELAY=5000"},
}

// The baseline every mode is compared with, and the mode the throughput
// target is for.
const (
	untraced = "untraced"
	traced   = "traced"
)

// targetRatio is the lowest traced/untraced throughput that meets the
// target in docs/performance.md.
const targetRatio = 0.90

// parseModes checks a -modes list and returns it in modeSettings' order,
// with untraced.
func parseModes(list string) ([]string, error) {
	want := map[string]bool{untraced: true}
	for m := range strings.SplitSeq(list, ",") {
		m = strings.TrimSpace(m)
		if !slices.ContainsFunc(modeSettings, func(s modeSetting) bool { return s.name == m }) {
			return nil, fmt.Errorf("-modes: unknown mode %q; known: traced, unexported, untraced", m)
		}
		want[m] = true
	}
	if len(want) < 2 {
		return nil, errors.New("-modes: name a mode to compare with untraced")
	}
	var out []string
	for _, s := range modeSettings {
		if want[s.name] {
			out = append(out, s.name)
		}
	}
	return out, nil
}

// measure starts the pipeline, runs the rounds, prints the results and
// stops everything again.
func measure(ctx context.Context, o options, dir string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "load:", err); return 1 }

	root, err := stack.RepoRoot()
	if err != nil {
		return fail(err)
	}
	before := children()
	st, err := stack.Start(ctx, stack.Config{
		Root: root, Dir: filepath.Join(dir, "stack"), Progress: os.Stderr,
		CollectorEnv: []string{"FAILHOP_SAMPLE_PERCENT=10"},
	})
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	pipeline := newChildren(before)

	fmt.Printf("load: %d workers, GET /checkout?item=%d, %d rounds of %v (after %v warm-up) per mode; load average %s\n",
		o.workers, o.item, o.rounds, o.window, o.warmup, loadAvg())
	results := map[string][]result{}
	for r := range o.rounds {
		// Each round starts with the next mode: with two, traced and
		// untraced alternate which goes first.
		first := len(o.modes) - 1 - r%len(o.modes) // round 1 starts with traced
		for i := range o.modes {
			name := o.modes[(first+i)%len(o.modes)]
			// The first round shows the shop being built and started.
			progress := io.Discard
			if r == 0 {
				progress = os.Stderr
			}
			res, err := runRound(ctx, o, name, filepath.Join(dir, fmt.Sprintf("%s-%d", name, r+1)), progress, st, pipeline)
			if ctx.Err() != nil {
				return 1
			}
			if err != nil {
				return fail(err)
			}
			fmt.Printf("round %d %-10s  %7.1f req/s  p50 %-8v p99 %-8v errors %d/%d  other processes' CPU %.2f cores\n",
				r+1, name, res.rate(), round(res.percentile(0.50)), round(res.percentile(0.99)),
				res.errors, res.requests(), max(0, res.others.Seconds()/o.window.Seconds()))
			if res.firstErr != "" {
				fmt.Printf("  first error: %s\n", res.firstErr)
			}
			results[name] = append(results[name], res)
		}
	}
	return summarize(os.Stdout, o, results)
}

// runRound starts a fresh copy of the shop for mode on free ports with its
// SQLite files in dir, waits o.pause, drives it and stops it. A copy per
// round, rather than one per mode for the whole run: copies of the same
// binaries were seen to differ by a quarter in CPU per request here, for
// the whole of their life, which one copy per mode would count as the
// mode's.
func runRound(ctx context.Context, o options, mode, dir string, progress io.Writer, st *stack.Stack, pipeline map[int]string) (result, error) {
	i := slices.IndexFunc(modeSettings, func(s modeSetting) bool { return s.name == mode })
	cfg := shop.Config{
		FreePorts: true, DataDir: dir, Progress: progress,
		OTLPEndpoint: "http://" + st.OTLPGRPCEndpoint,
		Env:          map[string][]string{},
	}
	for _, svc := range shop.Services {
		cfg.Env[svc] = []string{modeSettings[i].env}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return result{}, err
	}
	before := children()
	s, err := shop.Start(ctx, cfg)
	if err != nil {
		return result{}, err
	}
	defer s.Close()
	if err := sleep(ctx, o.pause); err != nil {
		return result{}, err
	}
	return drive(ctx, o, s.URL("gateway"), newChildren(before), pipeline), nil
}

// result is what one round of one mode measured.
type result struct {
	window    time.Duration
	latencies []time.Duration // of the requests started in the window, sorted
	errors    int
	firstErr  string
	cpu       map[string]time.Duration // CPU time per process in the window
	others    time.Duration            // CPU time of the machine's other processes in the window
}

func (r result) requests() int { return len(r.latencies) }
func (r result) rate() float64 { return float64(len(r.latencies)) / r.window.Seconds() }

func (r result) percentile(p float64) time.Duration { return percentile(r.latencies, p) }

// percentile returns the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// drive runs one round against a gateway: o.workers closed-loop workers for
// o.warmup + o.window. Requests started in the window are recorded, with
// their latency whether they succeeded or not; the CPU time of the shop's
// processes, the pipeline's and this one is taken over the window.
func drive(ctx context.Context, o options, gateway string, shopPids, pipelinePids map[int]string) result {
	client := &http.Client{
		Timeout:   15 * time.Second, // the gateway gives a checkout 10s
		Transport: &http.Transport{MaxIdleConnsPerHost: o.workers, DisableCompression: true},
	}
	defer client.CloseIdleConnections()
	url := gateway + "/checkout?item=" + strconv.Itoa(o.item)
	pids := maps.Clone(shopPids)
	maps.Copy(pids, pipelinePids)
	pids[os.Getpid()] = "load generator"

	start := time.Now()
	from, to := start.Add(o.warmup), start.Add(o.warmup+o.window)

	var mu sync.Mutex
	res := result{window: o.window}
	var wg sync.WaitGroup
	for range o.workers {
		wg.Go(func() {
			w := work(ctx, client, url, from, to)
			mu.Lock()
			res.latencies = append(res.latencies, w.latencies...)
			res.errors += w.errors
			if res.firstErr == "" {
				res.firstErr = w.firstErr
			}
			mu.Unlock()
		})
	}
	// The CPU times over the window, not until the last worker stops.
	if sleep(ctx, time.Until(from)) == nil {
		cpu0, busy0 := cpuTimes(pids), machineBusy()
		if sleep(ctx, time.Until(to)) == nil {
			res.cpu = map[string]time.Duration{}
			res.others = machineBusy() - busy0
			for name, t := range cpuTimes(pids) {
				res.cpu[name] = t - cpu0[name]
				res.others -= res.cpu[name]
			}
		}
	}
	wg.Wait()
	slices.Sort(res.latencies)
	return res
}

// work is one closed-loop worker: it sends checkouts one after the other
// until to, recording those started from from on: its part of the round's
// result, its latencies not sorted yet.
func work(ctx context.Context, client *http.Client, url string, from, to time.Time) result {
	var w result
	for {
		t := time.Now()
		if !t.Before(to) || ctx.Err() != nil {
			return w
		}
		err := checkout(ctx, client, url)
		if t.Before(from) {
			continue
		}
		w.latencies = append(w.latencies, time.Since(t))
		if err != nil {
			w.errors++
			if w.firstErr == "" {
				w.firstErr = err.Error()
			}
		}
	}
}

// checkout sends one request and reads the whole answer; any status but
// 200 is an error.
func checkout(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// summarize prints the summary table and returns the exit status.
func summarize(w io.Writer, o options, results map[string][]result) int {
	rows := map[string]modeRow{}
	code := 0
	for name, rs := range results {
		rw := newModeRow(rs)
		rows[name] = rw
		if float64(rw.errors) > o.maxErrors*float64(rw.requests) {
			code = 1
		}
	}
	fmt.Fprintln(w)
	printLatencies(w, o.modes, rows)
	fmt.Fprintln(w)
	printRatios(w, o.modes, rows)
	fmt.Fprintf(w, "\nCPU time per request (µs), over all rounds:\n")
	printCPU(w, o.modes, rows)
	if code != 0 {
		fmt.Fprintf(w, "\nmore than %.2f%% of a mode's requests failed\n", 100*o.maxErrors)
	}
	return code
}

// modeRow is a mode's line of the summary, over all its rounds.
type modeRow struct {
	rate             float64 // median of the rounds'
	p50, p90, p99    time.Duration
	requests, errors int
	cpuPerReq        map[string]time.Duration // by process
	rates            []string                 // each round's
}

// newModeRow sums up the rounds of a mode.
func newModeRow(rs []result) modeRow {
	var rates []float64
	var all []time.Duration
	var rw modeRow
	cpu := map[string]time.Duration{}
	for _, r := range rs {
		rates = append(rates, r.rate())
		rw.rates = append(rw.rates, fmt.Sprintf("%.0f", r.rate()))
		all = append(all, r.latencies...)
		rw.errors += r.errors
		for p, t := range r.cpu {
			cpu[p] += t
		}
	}
	slices.Sort(rates)
	slices.Sort(all)
	rw.rate = rates[len(rates)/2]
	if len(rates)%2 == 0 {
		rw.rate = (rates[len(rates)/2-1] + rates[len(rates)/2]) / 2
	}
	rw.requests = len(all)
	rw.p50, rw.p90, rw.p99 = percentile(all, 0.50), percentile(all, 0.90), percentile(all, 0.99)
	rw.cpuPerReq = map[string]time.Duration{}
	for p, t := range cpu {
		rw.cpuPerReq[p] = t / time.Duration(max(1, rw.requests))
	}
	return rw
}

// printLatencies prints each mode's rates, latencies and counts.
func printLatencies(w io.Writer, modes []string, rows map[string]modeRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "mode\treq/s (median)\trounds\tp50\tp90\tp99\trequests\terrors\t\n")
	for _, name := range modes {
		r := rows[name]
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%v\t%v\t%v\t%d\t%d\t\n", name, r.rate, strings.Join(r.rates, " "),
			round(r.p50), round(r.p90), round(r.p99), r.requests, r.errors)
	}
	tw.Flush()
}

// printRatios prints each mode's throughput and latencies against the
// untraced mode's, and whether the traced mode meets the target.
func printRatios(w io.Writer, modes []string, rows map[string]modeRow) {
	u := rows[untraced]
	for _, name := range modes[1:] {
		r := rows[name]
		fmt.Fprintf(w, "throughput %s/untraced: %.3f", name, r.rate/u.rate)
		if name == traced {
			fmt.Fprintf(w, " (target >= %.2f: %s)", targetRatio,
				map[bool]string{true: "met", false: "NOT met"}[r.rate/u.rate >= targetRatio])
		}
		fmt.Fprintf(w, "; p50 %.2fx, p99 %.2fx\n", float64(r.p50)/float64(u.p50), float64(r.p99)/float64(u.p99))
	}
}

// printCPU prints the CPU time per request of each process in each mode,
// and their sums.
func printCPU(w io.Writer, modes []string, rows map[string]modeRow) {
	procs := slices.Sorted(maps.Keys(rows[untraced].cpuPerReq))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "process\t%s\t\n", strings.Join(modes, "\t"))
	sums := make([]time.Duration, len(modes))
	for _, p := range procs {
		fmt.Fprintf(tw, "%s", p)
		for i, name := range modes {
			t := rows[name].cpuPerReq[p]
			fmt.Fprintf(tw, "\t%d", t.Microseconds())
			sums[i] += t
		}
		fmt.Fprintf(tw, "\t\n")
	}
	fmt.Fprintf(tw, "all")
	for _, t := range sums {
		fmt.Fprintf(tw, "\t%d", t.Microseconds())
	}
	fmt.Fprintf(tw, "\t\n")
	tw.Flush()
}

func round(d time.Duration) time.Duration {
	if d >= 10*time.Millisecond {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(10 * time.Microsecond)
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// loadAvg returns the 1-minute load average, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return f[0]
}

// children returns this process's child processes, pid → name, from
// /proc (empty elsewhere than on Linux).
func children() map[int]string {
	m := map[int]string{}
	ents, _ := os.ReadDir("/proc")
	me := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if name, ppid, _, ok := procStat(pid); ok && ppid == me {
			m[pid] = name
		}
	}
	return m
}

// newChildren returns the children that were not in before.
func newChildren(before map[int]string) map[int]string {
	m := children()
	maps.DeleteFunc(m, func(pid int, _ string) bool { _, ok := before[pid]; return ok })
	return m
}

// cpuTimes returns the CPU time (user + system) of the processes, by name.
func cpuTimes(pids map[int]string) map[string]time.Duration {
	m := map[string]time.Duration{}
	for pid, name := range pids {
		if _, _, t, ok := procStat(pid); ok {
			m[name] += t
		}
	}
	return m
}

// procStat reads a process's name, parent and CPU time from
// /proc/PID/stat.
func procStat(pid int) (name string, ppid int, cpu time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, 0, false
	}
	s := string(b)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return "", 0, 0, false
	}
	name = s[open+1 : closing]
	f := strings.Fields(s[closing+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return "", 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14, in clock ticks
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	const tick = 10 * time.Millisecond          // USER_HZ is 100 on Linux
	return name, ppid, time.Duration(utime+stime) * tick, true
}

// machineBusy returns the CPU time the machine has spent running
// something (user, nice, system, irq, softirq: not idle, I/O wait or
// steal), from /proc/stat (0 elsewhere than on Linux).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var ticks int64
	for i, v := range f[1:min(len(f), 8)] {
		if i != 3 && i != 4 { // not idle, iowait
			n, _ := strconv.ParseInt(v, 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
