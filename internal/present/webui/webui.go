// Package webui is the page `failhop serve` serves: failed requests grouped
// by the hop that broke them (all, or those with an attribute), and each
// trace opened on its answer (the path to the origin, the cause, the
// hint, the stack) over a waterfall of its spans, each opening on its
// details (attributes, resource, status, events, related spans). It
// reads Jaeger's query API and answers with the analyzer the CLI uses, so
// the page and `failhop why`/`errors` agree. It is read-only;
// every string from a span goes through html/template's escaping, and the
// Content-Security-Policy allows nothing but the page's own files.
package webui

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/present/localonly"
	"github.com/failhop/failhop/internal/present/render"
	"github.com/failhop/failhop/internal/promapi"
	"github.com/failhop/failhop/jaeger"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Windows are the time windows the front page offers.
var Windows = []time.Duration{5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour}

// maxTracesPerService bounds what the front page fetches of each service.
const maxTracesPerService = 500

// Server serves the pages over a Jaeger query API.
type Server struct {
	jaeger   *jaeger.Client
	prom     *promapi.Client // the failure metrics' Prometheus; nil: none
	jaegerUI string          // base URL of Jaeger's UI, for links
	pages    map[string]*template.Template
	reads    sharedReads // the front page's reads of Jaeger, shared
	uiOnce   sync.Once
	uiServed bool // whether jaegerUI serves the UI (jaegerUIServed)
}

// New returns a Server reading from c, linking to Jaeger's UI at jaegerUI
// (its query API's URL when it serves the UI too), and, with prom, showing
// each failing hop's failures over the last hour from the failure metrics
// (a sparkline, and a "new" badge for a hop that had none the day before).
func New(c *jaeger.Client, jaegerUI string, prom *promapi.Client) *Server {
	jaegerUI = strings.TrimRight(jaegerUI, "/")
	if jaegerUI != "" && !strings.Contains(jaegerUI, "://") {
		jaegerUI = "http://" + jaegerUI // as the client reads it
	}
	s := &Server{jaeger: c, prom: prom, jaegerUI: jaegerUI, pages: map[string]*template.Template{}}
	funcs := template.FuncMap{"ms": ms, "since": since, "versions": render.Versions, "window": windowName, "stack": render.TrimRecorderFrames,
		"keptTraces": func() string { return render.KeptTraces }, "maxDetailedRows": func() int { return maxDetailedRows }}
	for _, page := range []string{"index", "trace", "error"} {
		s.pages[page] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+page+".html"))
	}
	return s
}

// Handler returns the routes: the pages, their JSON under /api/, the
// static files and /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /trace/{id}", s.trace)
	mux.HandleFunc("GET /trace", s.search)
	mux.HandleFunc("GET /api/failures", s.apiFailures)
	mux.HandleFunc("GET /api/traces/{id}", s.apiTrace)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	return secure(mux)
}

// secure sets the headers that keep the page to itself: no script, style,
// image or connection but its own, no framing, no sniffing, no referrer.
// It answers only requests for an IP address or localhost
// (localonly.Handler): a page of another site whose name was made to point
// at 127.0.0.1 (DNS rebinding) would otherwise read the traces as if it were
// this page.
func secure(h http.Handler) http.Handler {
	return localonly.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	}), "failhop serve")
}

// window is the request's ?since= if it is one of Windows (each costs
// Jaeger a search per service), else 15 minutes.
func window(r *http.Request) time.Duration {
	if d, err := time.ParseDuration(r.URL.Query().Get("since")); err == nil && slices.Contains(Windows, d) {
		return d
	}
	return 15 * time.Minute
}

// attributeSearch reads a search by attribute, "key=value" (the value
// may hold "=" and spaces; spaces around the key and the value are
// dropped), as the tags of Jaeger's search: a trace matches when one of
// its spans, or that span's resource or one of its events, has the
// attribute with that value. "" searches nothing.
func attributeSearch(q string) (map[string]string, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	k, v, ok := strings.Cut(q, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	switch {
	case !ok || k == "" || v == "":
		return nil, fmt.Errorf("%q is not an attribute search: give key=value, such as http.route=/checkout", q)
	case k == "error":
		// Jaeger reads the tag error as the span status, and its memory
		// store compares the value as a bool, which a string never is.
		return nil, errors.New("the attribute error cannot be searched: every request listed failed already")
	}
	return map[string]string{k: v}, nil
}

// indexPage is the front page's data.
type indexPage struct {
	Window   time.Duration
	Windows  []time.Duration
	Service  string
	Services []string
	// Attr is the search by attribute, "key=value"; "" for none.
	Attr string
	// BadAttr says why Attr is not a search; "" if it is one.
	BadAttr  string
	Failures analyzer.Failures
	Groups   []group // Failures.Groups, with what Prometheus says of them
	Down     string  // why Jaeger could not be read; "" if it could
	Slow     bool    // Jaeger is up but did not answer in time
	// NoHistory says why Prometheus could not be read; "" if it could, or
	// if the page has none.
	NoHistory string
	// Counted is what the failure metrics say of the window's requests,
	// counted before sampling; nil without Prometheus.
	Counted *promapi.Counts
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	p := indexPage{Window: window(r), Windows: Windows, Service: r.URL.Query().Get("service"), Attr: strings.TrimSpace(r.URL.Query().Get("attr"))}
	tags, badAttr := attributeSearch(p.Attr)
	var err error
	if p.Services, err = s.reads.services(r.Context(), s.jaeger); err == nil && badAttr == nil {
		if p.Service != "" && !slices.Contains(p.Services, p.Service) {
			p.Service = ""
		}
		p.Failures, err = s.reads.failures(r.Context(), s.jaeger, jaeger.Query{Service: p.Service, Tags: tags, Since: p.Window, Limit: maxTracesPerService})
	}
	if err != nil {
		p.Down, p.Slow = err.Error(), errors.Is(err, jaeger.ErrSlow)
		slog.WarnContext(r.Context(), "failhop serve: reading Jaeger", "err", err)
	}
	if badAttr != nil {
		p.BadAttr = badAttr.Error()
		s.render(w, http.StatusBadRequest, "index", p)
		return
	}
	if p.Groups, err = withHistory(r.Context(), s.prom, p.Failures.Groups, time.Now()); err == nil && s.prom != nil {
		var counts promapi.Counts
		switch counts, err = s.prom.RequestCounts(r.Context(), p.Service, p.Window); {
		case err == nil:
			p.Counted = &counts
		case errors.Is(err, promapi.ErrNoCounts):
			err = nil // no sentence rather than "0 requests"
		}
	}
	if err != nil {
		p.NoHistory = err.Error()
		slog.WarnContext(r.Context(), "failhop serve: reading Prometheus", "err", err)
	}
	s.render(w, http.StatusOK, "index", p)
}

// search opens the trace a user quotes, in any form analyzer.ParseTraceRef
// reads: its ID, a Traceresponse value, the error page's reference.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	id, err := analyzer.ParseTraceRef(r.URL.Query().Get("q"))
	if err != nil {
		s.render(w, http.StatusBadRequest, "error", errorPage{Title: "Not a trace reference", Message: "Give " + analyzer.TraceRefForms + "."})
		return
	}
	http.Redirect(w, r, "/trace/"+id, http.StatusSeeOther)
}

// jaegerUIServed reports whether the Jaeger UI the page links to serves
// its pages (jaeger.Client.ServesUI), asking once: a page that links to
// Jaeger's placeholder page would send the reader nowhere.
func (s *Server) jaegerUIServed(ctx context.Context) bool {
	s.uiOnce.Do(func() { s.uiServed = jaeger.New(s.jaegerUI).ServesUI(ctx) })
	return s.uiServed
}

// tracePage is a trace page's data.
type tracePage struct {
	Report    analyzer.Report
	Rows      []row
	JaegerURL string // the trace in Jaeger's UI, its origin span selected; "" when that Jaeger has no UI
	JSONURL   string
}

type errorPage struct {
	Title, Message string
}

// opened returns the spans whose details a trace page opens: the one its
// ?span= names, when the trace has it, else the failing hops' origins.
func opened(span string, tr *analyzer.Trace, rep analyzer.Report) []string {
	if slices.ContainsFunc(tr.Spans, func(s *analyzer.Span) bool { return s.SpanID == span }) {
		return []string{span}
	}
	ids := make([]string, len(rep.Hops))
	for i, h := range rep.Hops {
		ids[i] = h.SpanID
	}
	return ids
}

func (s *Server) trace(w http.ResponseWriter, r *http.Request) {
	tr, status, msg := s.fetch(r)
	if tr == nil {
		s.render(w, status, "error", errorPage{Title: http.StatusText(status), Message: msg})
		return
	}
	rep := analyzer.Analyze(tr)
	p := tracePage{Report: rep, Rows: waterfall(tr, rep), JSONURL: "/api/traces/" + tr.TraceID}
	withDetails(p.Rows, tr.TraceID, opened(r.URL.Query().Get("span"), tr, rep)...)
	if s.jaegerUIServed(r.Context()) {
		p.JaegerURL = s.jaegerUI + "/trace/" + tr.TraceID
		if len(rep.Hops) > 0 {
			p.JaegerURL += "?uiFind=" + rep.Hops[0].SpanID
		}
	}
	s.render(w, http.StatusOK, "trace", p)
}

// fetch gets the trace of the request's {id}, or says why not: the
// status to answer and a message.
func (s *Server) fetch(r *http.Request) (*analyzer.Trace, int, string) {
	id, err := analyzer.ParseTraceRef(r.PathValue("id"))
	if err != nil {
		return nil, http.StatusBadRequest, "Not a trace ID: give " + analyzer.TraceRefForms + "."
	}
	tr, err := s.jaeger.Trace(r.Context(), id)
	switch {
	case errors.Is(err, jaeger.ErrNotFound):
		return nil, http.StatusNotFound, "Jaeger has no trace " + id + " (yet: the collector holds a trace for its decision wait, 10 s by default)."
	case err != nil:
		return nil, http.StatusBadGateway, err.Error()
	}
	return tr, 0, ""
}

func (s *Server) apiFailures(w http.ResponseWriter, r *http.Request) {
	since := window(r)
	tags, err := attributeSearch(r.URL.Query().Get("attr"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	f, err := s.reads.failures(r.Context(), s.jaeger, jaeger.Query{Service: r.URL.Query().Get("service"), Tags: tags, Since: since, Limit: maxTracesPerService})
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, render.NewErrorsReport(r.URL.Query().Get("service"), since, f))
}

func (s *Server) apiTrace(w http.ResponseWriter, r *http.Request) {
	tr, status, msg := s.fetch(r)
	if tr == nil {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	writeJSON(w, http.StatusOK, analyzer.Analyze(tr)) // as failhop why --json prints it
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) render(w http.ResponseWriter, status int, page string, data any) {
	var b bytes.Buffer
	if err := s.pages[page].Execute(&b, data); err != nil {
		slog.Error("failhop serve: rendering", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = b.WriteTo(w)
}

// DefaultAddr is where the page listens unless told otherwise: loopback,
// next to Jaeger's UI port.
const DefaultAddr = "127.0.0.1:16680"

// PortEnv moves the page that `make demo` and `make stack` start.
const PortEnv = "FAILHOP_PAGE_PORT"

// PortFromEnv returns the port of the page that `make demo` and
// `make stack` start: $FAILHOP_PAGE_PORT, else DefaultAddr's.
func PortFromEnv() (int, error) {
	_, def, _ := net.SplitHostPort(DefaultAddr)
	v := cmp.Or(os.Getenv(PortEnv), def)
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port (1-65535)", PortEnv, v)
	}
	return p, nil
}

// Running is the page, served in the background (Start).
type Running struct {
	URL string // "http://127.0.0.1:16680/"
	srv *http.Server
}

// Start serves the page on addr (host:port) over the Jaeger query API at
// jaegerURL, linking to Jaeger's UI at jaegerUI, with the failure metrics
// of the Prometheus at prometheusURL ("" for none), until Close. It is how
// failhop serve, make demo and make stack run it.
func Start(addr, jaegerURL, jaegerUI, prometheusURL string) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	var prom *promapi.Client
	if prometheusURL != "" {
		prom = &promapi.Client{BaseURL: prometheusURL}
	}
	r := &Running{URL: "http://" + ln.Addr().String() + "/",
		srv: &http.Server{Handler: New(jaeger.New(jaegerURL), jaegerUI, prom).Handler(), ReadHeaderTimeout: 5 * time.Second}}
	go func() {
		if err := r.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			slog.Error("failhop's page stopped serving", "err", err)
		}
	}()
	return r, nil
}

// Close stops the page, letting the requests in flight finish (for up to
// 5 seconds).
func (r *Running) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
}
