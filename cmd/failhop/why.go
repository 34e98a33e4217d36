package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/present/render"
	"github.com/failhop/failhop/jaeger"
	"github.com/failhop/failhop/tracejson"
)

// settle is how long `why --wait` waits for a trace to stop growing
// (jaeger.Client.WaitForTrace).
const settle = time.Second

func runWhy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
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

	reports, err := whyReports(ctx, c, file, operands, wait, stderr)
	if err != nil {
		return err
	}
	links := render.Links{Base: c.jaeger}
	if file == "" && !c.json {
		links = c.links(ctx)
	}
	if err := writeReports(stdout, render.New(stdout, links), reports, c.json); err != nil {
		return err
	}
	problems := 0
	for _, r := range reports {
		if r.Problem != "" {
			problems++
		}
	}
	if problems > 0 {
		return fmt.Errorf("could not analyze %d of %d traces (see the output)", problems, len(reports))
	}
	return nil
}

// whyReports analyzes the traces in file, or the one trace the operand
// names, fetched from Jaeger.
func whyReports(ctx context.Context, c commonFlags, file string, operands []string, wait time.Duration, stderr io.Writer) ([]analyzer.Report, error) {
	switch {
	case file != "" && len(operands) > 0:
		return nil, usageError{"give a trace ID or --file, not both"}
	case file != "":
		traces, err := readTraces(file)
		if err != nil {
			return nil, err
		}
		var reports []analyzer.Report
		for _, t := range traces {
			reports = append(reports, analyzer.Analyze(t))
		}
		return reports, nil
	case len(operands) == 0:
		return nil, usageError{"missing trace ID (or --file)"}
	case len(operands) > 1:
		return nil, usageError{"one trace ID at a time"}
	}
	r, err := whyTrace(ctx, jaeger.New(c.jaeger), operands[0], wait, stderr)
	if errors.Is(err, analyzer.ErrBadTraceRef) {
		return nil, usageError{err.Error()}
	}
	if err != nil {
		return nil, err
	}
	return []analyzer.Report{r}, nil
}

// writeReports writes the reports to stdout: as JSON documents, or as
// out renders them, a blank line between two.
func writeReports(stdout io.Writer, out *render.Printer, reports []analyzer.Report, asJSON bool) error {
	for i, r := range reports {
		if asJSON {
			doc, err := jsonDoc(r)
			if err != nil {
				return err
			}
			if _, err := stdout.Write(doc); err != nil {
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

// whyTrace fetches the trace that ref names (any form
// analyzer.ParseTraceRef reads; an error wrapping analyzer.ErrBadTraceRef
// otherwise) from Jaeger, waiting for it as fetchTrace does, and analyzes
// it: the answer `failhop why` prints and the MCP tool why returns.
func whyTrace(ctx context.Context, c *jaeger.Client, ref string, wait time.Duration, stderr io.Writer) (analyzer.Report, error) {
	id, err := analyzer.ParseTraceRef(ref)
	if err != nil {
		return analyzer.Report{}, err
	}
	t, err := fetchTrace(ctx, c, id, wait, stderr)
	if err != nil {
		return analyzer.Report{}, err
	}
	return analyzer.Analyze(t), nil
}

// jsonDoc is v as --json prints it: one line of JSON (encoding/json's, with
// <, > and & escaped), then a newline. The MCP tools return the same text.
func jsonDoc(v any) ([]byte, error) {
	var b bytes.Buffer
	err := json.NewEncoder(&b).Encode(v)
	return b.Bytes(), err
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
		return nil, notArrivedError{id: id, jaeger: c.BaseURL, wait: wait}
	}
	return tr, err
}

// notArrivedError says that a trace was still not in Jaeger once
// fetchTrace had waited for it. It wraps jaeger.ErrNotFound.
type notArrivedError struct {
	id, jaeger string
	wait       time.Duration
}

func (e notArrivedError) Error() string {
	return fmt.Sprintf("trace %s is not in Jaeger at %s, %s after it was first asked for: past the collector's decision wait, so it was never exported or not kept. The usual reasons:\n%s", e.id, e.jaeger, e.wait, neverArrived)
}

func (e notArrivedError) Unwrap() error { return jaeger.ErrNotFound }

// neverArrived lists why a trace never reaches Jaeger, the most common
// first.
const neverArrived = `  - the service exited without flushing its spans: call the shutdown exporters.Setup returns, after http.Server.Shutdown (README, "Graceful shutdown");
  - its exporter sends elsewhere: OTEL_EXPORTER_OTLP_ENDPOINT (the collector of make stack listens on localhost:4317 for gRPC, :4318 for HTTP);
  - sampling dropped it: a head sampler in the service (OTEL_TRACES_SAMPLER); the failhop collector keeps every failed trace;
  - it is in another Jaeger (--jaeger), or the ID is mistyped.`
