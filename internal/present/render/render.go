// Package render writes failhop's answers for people: a trace's report
// (failhop why) and a service's failures grouped by hop (failhop errors),
// as plain text with colour on a terminal. Every string that came from a
// span is escaped. The failhop CLI and the demo print with it.
package render

import (
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/promapi"
)

// maxStackLines is how much of a stack the text output shows; --json has
// all of it.
const maxStackLines = 12

// A path of more than pathHead+pathTail steps is folded in the text: the
// first pathHead, a line that counts the others, the last pathTail.
const (
	pathHead = 3
	pathTail = 6
)

// Printer writes reports for people: plain text, with colour on a terminal
// (unless NO_COLOR is set). Every string it is given is printed escaped
// (see escape): the text of a span is not a terminal's business. It keeps
// the first write error (Err).
type Printer struct {
	w     io.Writer
	links Links
	color bool
	err   error
}

// Links says where a printed report links its traces.
type Links struct {
	// Base is the Jaeger UI's URL, or failhop's page when Page is set.
	Base string
	// Page says that Base is failhop's page (`failhop serve`): for a
	// Jaeger that serves no UI, such as the one built from Go modules.
	Page bool
}

// trace returns the link to a trace, its span spanID selected.
func (l Links) trace(traceID, spanID string) (label, link string) {
	base := strings.TrimRight(l.Base, "/") + "/trace/" + url.PathEscape(traceID)
	if l.Page {
		return "trace", base
	}
	return "jaeger", base + "?uiFind=" + url.QueryEscape(spanID)
}

// New returns a Printer that writes to w, linking traces as links says.
func New(w io.Writer, links Links) *Printer {
	return &Printer{w: w, links: links, color: isTerminal(w) && os.Getenv("NO_COLOR") == ""}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// line prints a line. The format is the program's; string arguments are
// escaped, styled ones (already escaped) are not.
func (p *Printer) line(format string, args ...any) {
	if p.err != nil {
		return
	}
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = escape(s)
		}
	}
	_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
}

// styled is text ready for the terminal: escaped, with the printer's own
// ANSI styles.
type styled string

// paint escapes s and wraps it in an ANSI style when colour is on.
func (p *Printer) paint(style, s string) styled {
	if !p.color || s == "" {
		return styled(escape(s))
	}
	return styled("\x1b[" + style + "m" + escape(s) + "\x1b[0m")
}

// escape makes a string from a trace safe to print: control characters
// (escape sequences, carriage returns, backspaces), bidirectional and
// other invisible format characters, line separators and invalid UTF-8
// are written as Go escapes ("\x1b", "\u202e"), so that a span cannot
// retitle or clear the terminal or disguise the text around it. A
// backslash stays as it is; tabs are kept.
func escape(s string) string {
	if !strings.ContainsFunc(s, needsEscape) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case needsEscape(r):
			q := strconv.QuoteRune(r)
			if !strings.HasPrefix(q, `'\`) { // QuoteRune prints some as they are
				q = fmt.Sprintf(`'\u%04x'`, r)
			}
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Escape is escape for other printers of strings from a trace (the
// demo's tables): what a span says is printed, never obeyed.
func Escape(s string) string { return escape(s) }

func needsEscape(r rune) bool {
	return r != '\t' && (unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp))
}

const (
	bold = "1"
	red  = "1;31"
	dim  = "2"
	ok   = "32"
)

// field prints a labelled value, indenting continuation lines. A string
// value is escaped line by line.
func (p *Printer) field(label string, value any) {
	var lines []any
	switch v := value.(type) {
	case string:
		for l := range strings.SplitSeq(strings.TrimRight(v, "\n"), "\n") {
			lines = append(lines, l)
		}
	case []styled:
		for _, l := range v {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 || lines[0] == "" {
		return
	}
	p.line("  %-10s %s", label, lines[0])
	for _, l := range lines[1:] {
		p.line("  %-10s %s", "", l)
	}
}

// Err returns the first error writing to the Printer's writer.
func (p *Printer) Err() error { return p.err }

// Blank prints an empty line, between reports.
func (p *Printer) Blank() { p.line("") }

// Report prints a trace's report: the request, each failing hop with its
// cause, path, hint and a link to it in Jaeger, the errors it survived.
func (p *Printer) Report(r analyzer.Report) {
	p.line("%s %s", p.paint(bold, "trace"), r.TraceID)
	if r.Problem != "" {
		p.line("%s %s", p.paint(red, "could not analyze:"), r.Problem)
		return
	}
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
	p.units(r)
	for _, n := range r.Notes {
		p.line("%s %s", p.paint(dim, "note:"), n)
	}
}

// units prints each failed unit of work (a message processed apart from
// the request) with its failing hops, after the request's verdict.
func (p *Printer) units(r analyzer.Report) {
	for _, u := range r.Units {
		if !u.Failed {
			continue
		}
		p.line("")
		p.line("%s %s  %s", p.paint(bold, "unit of work"), strings.TrimSpace(u.Entry.Service+" "+u.Entry.Name), p.paint(red, "FAILED"))
		for _, h := range u.Hops {
			p.hop(r.TraceID, h, len(u.Hops))
		}
	}
}

func (p *Printer) hop(traceID string, h analyzer.Hop, of int) {
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
	p.field("evidence", evidence(h.Evidence))
	p.field("path", p.path(h.Path, h.PathOmitted))
	p.field("hint", h.Hint)
	p.field("called at", h.CallSite)
	stack := firstLines(TrimRecorderFrames(h.Stack), maxStackLines)
	if stack != "" && h.CallSite != "" {
		stack = "(recorded where the error was handled; the failing call is above)\n" + stack
	}
	p.field("stack", stack)
	p.field(p.links.trace(traceID, h.SpanID))
}

// evidence lists a hop's key attributes, one "key = value" a line.
func evidence(attrs []analyzer.Attribute) string {
	lines := make([]string, len(attrs))
	for i, a := range attrs {
		lines[i] = a.Key + " = " + strings.ReplaceAll(a.Value, "\n", " ")
	}
	return strings.Join(lines, "\n")
}

// path draws the chain of spans from the root to the origin as a tree,
// one line per span; a deep one is folded, counting the spans left out
// (the report's own fold, omitted, included).
func (p *Printer) path(steps []analyzer.Step, omitted int) []styled {
	var lines []styled
	depth := 0
	for i, s := range steps {
		if len(steps) > pathHead+pathTail && i == pathHead {
			n := len(steps) - pathHead - pathTail + omitted
			lines = append(lines, styled(strings.Repeat("   ", depth)+fmt.Sprintf("… %s more hops …", thousands(n))))
			depth++
		}
		if len(steps) > pathHead+pathTail && i >= pathHead && i < len(steps)-pathTail {
			continue
		}
		indent := strings.Repeat("   ", max(depth-1, 0))
		if depth > 0 {
			indent += "└─ "
		}
		mark := ""
		if s.Error {
			mark = " ✗"
		}
		raw := fmt.Sprintf("%s %s [%s]%s", s.Service, s.Name, kindName(s.Kind), mark)
		text := styled(escape(raw))
		if i == len(steps)-1 {
			text = p.paint(red, raw) + "  ◀ origin"
		}
		lines = append(lines, styled(indent)+text)
		depth++
	}
	return lines
}

// thousands formats n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func kindName(k analyzer.Kind) string {
	if k == analyzer.KindUnspecified {
		return "span"
	}
	return string(k)
}

// recorderFrames are the packages that record a stack, not cause it: their
// frames at the top of a stack are noise to the reader.
var recorderFrames = []string{"go.opentelemetry.io/otel/sdk/trace.", "github.com/failhop/failhop/instrument.", "github.com/failhop/failhop/instrument/", "runtime/debug.", "panic("}

// TrimRecorderFrames drops the frames of recorderFrames from the top of a
// Go stack trace (each frame is a function line and a file line).
func TrimRecorderFrames(stack string) string {
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

// ErrorsReport is a service's recent failures, grouped by failing hop:
// what `failhop errors` prints (as JSON with --json).
type ErrorsReport struct {
	Service string `json:"service"`
	Since   string `json:"since"`
	analyzer.Failures
	// Sampling says what the traces are: the ones sampling kept, so that
	// Failed/Traces is not read as a failure rate.
	Sampling string `json:"sampling"`
	// Counted is what the failure metrics say of the service's requests
	// in the window, counted before sampling (with --prometheus).
	Counted *promapi.Counts `json:"counted,omitempty"`
}

// KeptTraces says what the traces Jaeger has are: what the failhop
// collector's tail sampling kept.
const KeptTraces = "traces kept by sampling: the failhop collector keeps every failed or slow trace and FAILHOP_SAMPLE_PERCENT (10 by default) percent of the others, so failed/traces is not a failure rate"

// NewErrorsReport is the report of the failures f of service ("" for
// every service) over the last since: what `failhop errors --json`
// prints, the page's /api/failures answers and the MCP tool failures
// returns.
func NewErrorsReport(service string, since time.Duration, f analyzer.Failures) ErrorsReport {
	return ErrorsReport{Service: service, Since: since.String(), Failures: f, Sampling: KeptTraces}
}

// Errors prints a service's failures grouped by failing hop, the most
// frequent first.
func (p *Printer) Errors(rep ErrorsReport) {
	p.line("%s %d failed requests among the %d traces Jaeger kept of the last %s.",
		p.paint(bold, rep.Service+":"), rep.Failed, rep.Traces, rep.Since)
	if rep.FailedUnits > 0 {
		p.line("%d failed units of work in them: messages processed apart from the request that sent them.", rep.FailedUnits)
	}
	p.line("%s %s", p.paint(dim, "note:"), rep.Sampling)
	if rep.Counted != nil {
		p.line("All its requests, counted before sampling (failhop_requests_total): %s.", rep.Counted)
	}
	if len(rep.Groups) == 0 {
		p.line("No failed requests.")
		return
	}
	if rep.FailedUnits > 0 {
		p.line("Failed requests and units of work by failing hop, the most frequent first:")
	} else {
		p.line("Failed requests by failing hop, the most frequent first:")
	}
	for _, g := range rep.Groups {
		p.line("")
		p.line("%s %s  %s", p.paint(bold, fmt.Sprintf("%4d×", g.Count)), p.paint(red, g.Description), g.Cause)
		p.field("versions", Versions(g.Versions))
		p.field("seen", fmt.Sprintf("%s – %s", g.FirstSeen.UTC().Format("2006-01-02 15:04:05"), g.LastSeen.UTC().Format("15:04:05 MST")))
		p.field("call", g.Example)
		p.field("hint", g.Hint)
		for _, id := range g.TraceIDs {
			p.field("example", "failhop why "+id)
		}
	}
}

// Versions lists the versions of a group, the most frequent first, so that
// a bad deploy stands out.
func Versions(v map[string]int) string {
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
