package main

import (
	"context"
	"encoding/json"
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
	fs.DurationVar(&wait, "wait", 0, "ask Jaeger again for up to `DURATION` while it does not have the trace (it may still be in the collector), then until the trace stops growing")
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
		id, err := jaeger.TraceID(operands[0])
		if err != nil {
			return usageError{fmt.Sprintf("%q is not a trace ID: want 1 to 32 hex digits", operands[0])}
		}
		t, err := fetchTrace(ctx, jaeger.New(c.jaeger), id, wait, stderr)
		if err != nil {
			return err
		}
		traces = []*analyzer.Trace{t}
	}

	out := render.New(stdout, c.jaeger)
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

// fetchTrace gets a trace from Jaeger. With a wait, it asks again while
// Jaeger does not have the trace, then until the trace has its root and
// has stopped growing, for up to wait.
func fetchTrace(ctx context.Context, c *jaeger.Client, id string, wait time.Duration, stderr io.Writer) (*analyzer.Trace, error) {
	if wait <= 0 {
		return c.Trace(ctx, id)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, wait, fmt.Errorf("--wait %s passed", wait))
	defer cancel()
	return c.WaitForTrace(ctx, id, settle, func() {
		fmt.Fprintf(stderr, "failhop: trace %s is not in Jaeger yet; waiting up to %s...\n", id, wait)
	})
}
