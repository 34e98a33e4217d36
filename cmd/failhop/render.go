package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/failhop/failhop/analyzer"
)

// maxStackLines is how much of a stack the text output shows; --json has
// all of it.
const maxStackLines = 12

// printer writes reports for people: plain text, with colour on a terminal
// (unless NO_COLOR is set). It keeps the first write error.
type printer struct {
	w      io.Writer
	jaeger string
	color  bool
	err    error
}

func newPrinter(w io.Writer, jaegerURL string) *printer {
	return &printer{w: w, jaeger: strings.TrimRight(jaegerURL, "/"), color: isTerminal(w) && os.Getenv("NO_COLOR") == ""}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *printer) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

// paint wraps s in an ANSI style when colour is on.
func (p *printer) paint(style, s string) string {
	if !p.color || s == "" {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

const (
	bold = "1"
	red  = "1;31"
	dim  = "2"
	ok   = "32"
)

// field prints a labelled value, indenting continuation lines.
func (p *printer) field(label, value string) {
	if value == "" {
		return
	}
	lines := strings.Split(strings.TrimRight(value, "\n"), "\n")
	p.line("  %-10s %s", label, lines[0])
	for _, l := range lines[1:] {
		p.line("  %-10s %s", "", l)
	}
}

func (p *printer) report(r analyzer.Report) {
	p.line("%s %s", p.paint(bold, "trace"), r.TraceID)
	request := strings.TrimSpace(r.Root.Service + " " + r.Root.Name)
	if r.RootStatus > 0 {
		request += fmt.Sprintf(" → %d", r.RootStatus)
	}
	if !r.Failed {
		p.line("%s %s  %s", p.paint(bold, "request"), request, p.paint(ok, "succeeded"))
	} else {
		p.line("%s %s  %s", p.paint(bold, "request"), request, p.paint(red, "FAILED"))
	}
	for _, h := range r.Hops {
		p.line("")
		p.hop(r.TraceID, h, len(r.Hops))
	}
	if r.Failed && len(r.Hops) == 0 {
		p.line("no failing hop found")
	}
	if len(r.NonFatal) > 0 {
		p.line("")
		p.line("%s", p.paint(bold, "errors the request survived (retried, swallowed or asynchronous):"))
		for _, h := range r.NonFatal {
			p.line("  - %s  %s%s", h.Description, h.Cause, suffix(h.Reason))
		}
	}
	for _, n := range r.Notes {
		p.line("%s %s", p.paint(dim, "note:"), n)
	}
}

func (p *printer) hop(traceID string, h analyzer.Hop, of int) {
	title := fmt.Sprintf("failing hop %d of %d:", h.Rank, of)
	p.line("%s %s", p.paint(bold, title), p.paint(red, h.Description))
	confidence := string(h.Confidence)
	if h.Reason != "" {
		confidence += ": " + h.Reason
	}
	p.field("cause", fmt.Sprintf("%s (confidence %s)", h.Cause, confidence))
	switch {
	case h.Attempts > 1:
		p.field("attempts", fmt.Sprintf("%d, all failed the same way (this is the last)", h.Attempts))
	case h.Count > 1:
		p.field("seen", fmt.Sprintf("%d times on this hop (parallel calls)", h.Count))
	}
	p.field("service", strings.TrimSpace(h.Service+" "+h.ServiceVersion))
	p.field("message", h.Message)
	p.field("path", p.path(h.Path))
	p.field("hint", h.Hint)
	p.field("stack", firstLines(trimRecorderFrames(h.Stack), maxStackLines))
	p.field("jaeger", fmt.Sprintf("%s/trace/%s?uiFind=%s", p.jaeger, traceID, h.SpanID))
}

// path draws the chain of spans from the root to the origin as a tree.
func (p *printer) path(steps []analyzer.Step) string {
	var b strings.Builder
	for i, s := range steps {
		indent := strings.Repeat("   ", max(i-1, 0))
		if i > 0 {
			indent += "└─ "
		}
		mark := ""
		if s.Error {
			mark = " ✗"
		}
		text := fmt.Sprintf("%s %s [%s]%s", s.Service, s.Name, kindName(s.Kind), mark)
		if i == len(steps)-1 {
			text = p.paint(red, text) + "  ◀ origin"
		}
		b.WriteString(indent + text + "\n")
	}
	return b.String()
}

func kindName(k analyzer.Kind) string {
	if k == analyzer.KindUnspecified {
		return "span"
	}
	return string(k)
}

// recorderFrames are the packages that record a stack, not cause it: their
// frames at the top of a stack are noise to the reader.
var recorderFrames = []string{"go.opentelemetry.io/otel/sdk/trace.", "github.com/failhop/failhop/instrument.", "runtime/debug.", "panic("}

// trimRecorderFrames drops the frames of recorderFrames from the top of a
// Go stack trace (each frame is a function line and a file line).
func trimRecorderFrames(stack string) string {
	lines := strings.Split(stack, "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "goroutine ") {
		return stack
	}
	i := 1
	for i+1 < len(lines) && slices.ContainsFunc(recorderFrames, func(p string) bool { return strings.HasPrefix(lines[i], p) }) {
		i += 2
	}
	return strings.Join(append(lines[:1:1], lines[i:]...), "\n")
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n… %d more lines (--json has them all)", len(lines)-n)
}

func suffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

func (p *printer) groups(rep errorsReport) {
	p.line("%s %d failed requests among the %d traces of the last %s.",
		p.paint(bold, rep.Service+":"), rep.Failed, rep.Traces, rep.Since)
	if len(rep.Groups) == 0 {
		p.line("No failed requests.")
		return
	}
	p.line("Failed requests by failing hop, the most frequent first:")
	for _, g := range rep.Groups {
		p.line("")
		p.line("%s %s  %s", p.paint(bold, fmt.Sprintf("%4d×", g.Count)), p.paint(red, g.Description), g.Cause)
		p.field("versions", versions(g.Versions))
		p.field("seen", fmt.Sprintf("%s – %s", g.FirstSeen.UTC().Format("2006-01-02 15:04:05"), g.LastSeen.UTC().Format("15:04:05 MST")))
		p.field("hint", g.Hint)
		for _, id := range g.TraceIDs {
			p.field("example", "failhop why "+id)
		}
	}
}

// versions lists the versions of a group, the most frequent first, so that
// a bad deploy stands out.
func versions(v map[string]int) string {
	keys := slices.Collect(maps.Keys(v))
	slices.SortFunc(keys, func(a, b string) int {
		if v[a] != v[b] {
			return v[b] - v[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, v[k])
	}
	return strings.Join(parts, ", ")
}
