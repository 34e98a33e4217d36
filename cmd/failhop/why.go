package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/render"
	"github.com/failhop/failhop/jaeger"
	"github.com/failhop/failhop/tracejson"
)

// settle is how long `why --wait` waits for a trace to stop growing
// (jaeger.Client.WaitForTrace).
const settle = time.Second

func runWhy(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	var (
		c    commonFlags
		file string
		wait time.Duration
	)
	fs := newFlagSet("why", "failhop why [flags] <trace-id>\n       failhop why [flags] --file FILE", &c)
	fs.StringVar(&file, "file", "", "analyze the traces in `FILE`: Jaeger JSON (the UI's \"Download JSON\") or OTLP JSON; - for standard input")
	fs.DurationVar(&wait, "wait", defaultWait, "while Jaeger does not have the trace, ask again for up to `DURATION` (the collector holds a trace for its decision wait first), then until the trace stops growing; 0 asks once")
	operands, err := parse(fs, args, stdout)
	if err != nil {
		return err
	}

	var traces []*analyzer.Trace
	switch {
	case file != "" && len(operands) > 0:
		return usageError{"give a trace ID or --file, not both"}
	case file != "":
		if traces, err = readTraces(file); err != nil {
			return err
		}
	case len(operands) == 0:
		return usageError{"missing trace ID (or --file)"}
	case len(operands) > 1:
		return usageError{"one trace ID at a time"}
	default:
		id, err := analyzer.ParseTraceRef(operands[0])
		if err != nil {
			return usageError{err.Error()}
		}
		t, err := fetchTrace(ctx, jaeger.New(c.jaeger), id, wait, stderr)
		if err != nil {
			return err
		}
		traces = []*analyzer.Trace{t}
	}

	links := render.Links{Base: c.jaeger}
	if file == "" && !c.json {
		links = c.links(ctx)
	}
	out := render.New(stdout, links)
	enc := json.NewEncoder(stdout)
	problems := 0
	defer func() {
		if err == nil && problems > 0 {
			err = fmt.Errorf("could not analyze %d of %d traces (see the output)", problems, len(traces))
		}
	}()
	for i, t := range traces {
		r := analyzer.Analyze(t)
		if r.Problem != "" {
			problems++
		}
		if c.json {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		if i > 0 {
			out.Blank()
		}
		out.Report(r)
	}
	return out.Err()
}

// maxFileSize is the largest trace file `why --file` reads: room for a
// trace of analyzer.MaxSpans spans (about 90 MB as Jaeger JSON), while
// reading one takes about ten times its size in memory.
const maxFileSize = 256 << 20

// readTraces reads a trace file, or standard input for "-".
func readTraces(name string) ([]*analyzer.Trace, error) {
	var data []byte
	tooBig := fmt.Errorf("%s: more than %d MB; failhop reads trace files up to that size (analyze one trace at a time, or from Jaeger by ID)", name, maxFileSize>>20)
	if name == "-" {
		var err error
		if data, err = io.ReadAll(io.LimitReader(os.Stdin, maxFileSize+1)); err != nil {
			return nil, err
		}
		if len(data) > maxFileSize {
			return nil, tooBig
		}
	} else {
		st, err := os.Stat(name)
		if err != nil {
			return nil, err
		}
		if st.Size() > maxFileSize {
			return nil, tooBig
		}
		if data, err = os.ReadFile(name); err != nil {
			return nil, err
		}
	}
	traces, err := tracejson.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return traces, nil
}

// defaultWait is how long `why` waits for a trace Jaeger does not have:
// the collector's decision wait (FAILHOP_DECISION_WAIT, 10 s by default),
// which bounds how long it holds a trace, and a few seconds for the
// services' export delay and Jaeger's write.
const defaultWait = 15 * time.Second

// fetchTrace gets a trace from Jaeger. When Jaeger does not have it, it
// asks again for up to wait, then until the trace has its root and has
// stopped growing; a trace still missing then was never exported, or not
// kept, and the error says so.
func fetchTrace(ctx context.Context, c *jaeger.Client, id string, wait time.Duration, stderr io.Writer) (*analyzer.Trace, error) {
	tr, err := c.Trace(ctx, id)
	if wait <= 0 || !errors.Is(err, jaeger.ErrNotFound) {
		return tr, err
	}
	fmt.Fprintf(stderr, "failhop: trace %s is not in Jaeger yet; waiting up to %s for the collector to pass it on (--wait 0 does not wait)...\n", id, wait)
	waitCtx, cancel := context.WithTimeoutCause(ctx, wait, fmt.Errorf("--wait %s passed", wait))
	defer cancel()
	tr, err = c.WaitForTrace(waitCtx, id, settle, nil)
	if errors.Is(err, jaeger.ErrNotFound) && ctx.Err() == nil {
		return nil, fmt.Errorf("trace %s is not in Jaeger at %s, %s after it was first asked for: past the collector's decision wait, so it was never exported or not kept. The usual reasons:\n%s", id, c.BaseURL, wait, neverArrived)
	}
	return tr, err
}

// neverArrived lists why a trace never reaches Jaeger, the most common
// first.
const neverArrived = `  - the service exited without flushing its spans: call the shutdown exporters.Setup returns, after http.Server.Shutdown (README, "Graceful shutdown");
  - its exporter sends elsewhere: OTEL_EXPORTER_OTLP_ENDPOINT (the collector of make stack listens on localhost:4317 for gRPC, :4318 for HTTP);
  - sampling dropped it: a head sampler in the service (OTEL_TRACES_SAMPLER); the failhop collector keeps every failed trace;
  - it is in another Jaeger (--jaeger), or the ID is mistyped.`
