package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/stack"
	"github.com/failhop/failhop/internal/promapi"
	"github.com/failhop/failhop/jaeger"
)

// screenshotsEnv, set to 1, makes checkPage write its screenshots into
// docs/images (the README shows them) instead of the test's directory.
const screenshotsEnv = "FAILHOP_UPDATE_SCREENSHOTS"

// checkPage drives a real Chromium against failhop's page (bin/failhop
// serve, run as a user runs it) over the
// Jaeger that holds the scenarios' traces: the front page lists every
// failing hop with its cause, and fits 400 px; clicking a trace of the
// first group opens its page, whose waterfall marks the origin span the
// analyzer named, its details open; a span's details open by click and by
// keyboard, with the attributes Jaeger has; a hostile attribute, searched
// for and shown, stays text; no console error, no request to any host but
// loopback.
func checkPage(t *testing.T, played played, prom *promapi.Client) {
	t.Helper()
	jaegerURL, results := played.jaegerURL, played.results
	pageURL := startServe(t, jaegerURL, prom.BaseURL)
	ctx, problems := openChromium(t)
	front, firstHop := checkFront(t, ctx, pageURL, prom, results)

	// The first group's example trace: its waterfall marks the origin the
	// analyzer names.
	step(t, "opening a trace", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`ol.groups li.group a.trace`)),
		chromedp.WaitVisible(chromedp.CSS(`.waterfall li.span.origin`))))
	location, err := chromedp.Run(ctx, chromedp.Location())
	step(t, "trace page's location", err)
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`.waterfall li.span.origin`), "data-span-id"))
	step(t, "trace page's origin", err)
	origin := attr.Value
	tracePage, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	step(t, "trace page's screenshot", err)
	traceID := location[strings.LastIndex(location, "/")+1:]
	tr, err := jaeger.New(jaegerURL).Trace(t.Context(), traceID)
	step(t, "the trace from Jaeger", err)
	if rep := analyzer.Analyze(tr); len(rep.Hops) == 0 || rep.Hops[0].SpanID != origin || rep.Hops[0].Description != firstHop {
		t.Errorf("trace %s: the page marks %s as the origin, of hop %q; the analyzer says %+v", traceID, origin, firstHop, rep.Hops)
	}
	checkSpanDetails(t, ctx, jaegerURL, traceID, origin)
	checkNarrow(t, ctx, "trace page", `.waterfall li.span.origin .span-details`)
	checkHostileAttribute(t, ctx, played, pageURL)
	for _, p := range problems() {
		t.Error(p)
	}

	dir := t.TempDir()
	if os.Getenv(screenshotsEnv) == "1" {
		root, err := stack.RepoRoot()
		step(t, "the repository", err)
		dir = filepath.Join(root, "docs", "images")
	}
	for name, img := range map[string][]byte{"serve-front.png": front, "serve-trace.png": tracePage} {
		if err := os.WriteFile(filepath.Join(dir, name), img, 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Logf("screenshots in %s", dir)
}

// checkNarrow checks that the page open in ctx (with its element shown
// once loaded) fits a 400 px wide window: it scrolls down, not sideways.
func checkNarrow(t *testing.T, ctx context.Context, page, shown string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.EmulateViewport(400, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(shown)))
	var widths [2]int
	if err == nil {
		widths, err = chromedp.Run(ctx, chromedp.Evaluate[[2]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	}
	if err != nil {
		t.Fatalf("the %s at 400 px: %v", page, err)
	}
	if widths[0] > widths[1] {
		t.Errorf("the %s at 400 px scrolls sideways: %d px wide in a %d px window", page, widths[0], widths[1])
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(shown))); err != nil {
		t.Fatal(err)
	}
}

// spanRow is a row of a trace page's waterfall: its span, and whether
// its details are open.
type spanRow struct {
	ID   string `json:"id"`
	Open bool   `json:"open"`
}

const readRows = `Array.from(document.querySelectorAll(".waterfall li.span")).map(li => ({id: li.dataset.spanId, open: li.querySelector("details").open}))`

// shownSpan is what a span's details show: its attributes and its
// resource's, key to value.
type shownSpan struct {
	Attributes map[string]string `json:"attributes"`
	Resource   map[string]string `json:"resource"`
}

func readShown(spanID string) string {
	return `(() => {
  const details = document.getElementById("span-` + spanID + `");
  const read = (part) => Object.fromEntries(Array.from(details.querySelectorAll(":scope > .span-details > ." + part + " > dl > dt"))
    .map(dt => [dt.textContent, dt.nextElementSibling.querySelector("pre").textContent]));
  return {attributes: read("attributes"), resource: read("resource")};
})()`
}

// focusedSpan is the span whose row has the keyboard focus; "" if none.
const focusedSpan = `document.activeElement.matches(".waterfall li.span > details > summary") ? document.activeElement.closest("li.span").dataset.spanId : ""`

// checkSpanDetails checks a trace page's span details, on the page of
// trace traceID: the origin's are open; a click on a closed row opens its
// details; Tab to the next row and Enter open its own, and ↓ and Space the
// next one's; each shows the attributes Jaeger has for its span.
func checkSpanDetails(t *testing.T, ctx context.Context, jaegerURL, traceID, origin string) {
	t.Helper()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]spanRow](readRows))
	if err != nil {
		t.Fatal(err)
	}
	// A closed row to click, and after it three closed rows in a row to
	// walk with the keyboard.
	closed := func(i int) bool { return i < len(rows) && !rows[i].Open }
	clicked, before := -1, -1
	for i, r := range rows {
		switch {
		case r.ID == origin && !r.Open:
			t.Errorf("the origin's details (span %s) are not open", origin)
		case clicked < 0 && closed(i):
			clicked = i
		case clicked >= 0 && before < 0 && closed(i) && closed(i+1) && closed(i+2):
			before = i
		}
	}
	if clicked < 0 || before < 0 {
		t.Fatalf("trace %s: too few closed rows to click and to walk with the keyboard: %+v", traceID, rows)
	}
	summary := func(i int) string { return `.waterfall li.span[data-span-id="` + rows[i].ID + `"] > details > summary` }
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(summary(clicked)))); err != nil {
		t.Fatal(err)
	}
	checkShown(t, ctx, jaegerURL, traceID, rows[clicked].ID, "by a click")

	// The keyboard: Tab from a closed row to the next, Enter opens it; ↓
	// to the next, Space opens that one.
	keys := []struct{ key, name string }{{kb.Tab, "Tab"}, {kb.Enter, "Enter"}, {kb.ArrowDown, "↓"}, {" ", "Space"}}
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(summary(before)))); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k.key)); err != nil {
			t.Fatal(err)
		}
		want := rows[before+1+i/2]
		if focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](focusedSpan)); err != nil || focused != want.ID {
			t.Errorf("after %s, the focus is on span %q, want %s (%v)", k.name, focused, want.ID, err)
		}
		if i%2 == 1 {
			checkShown(t, ctx, jaegerURL, traceID, want.ID, "by "+keys[i-1].name+" and "+k.name)
		}
	}
	checkParentLink(t, ctx, rows[before+1].ID)
}

// checkParentLink follows the link to the parent in span spanID's
// details: the parent's details open, in place, with the focus on its
// row, and the address names it.
func checkParentLink(t *testing.T, ctx context.Context, spanID string) {
	t.Helper()
	link := `#span-` + spanID + ` > .span-details a.span-link`
	parent, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(link), "data-span"))
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(link)))
	}
	if err != nil {
		t.Fatalf("the link to span %s's parent: %v", spanID, err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]spanRow](readRows))
	if err != nil {
		t.Fatal(err)
	}
	focused, _ := chromedp.Run(ctx, chromedp.Evaluate[string](focusedSpan))
	location, _ := chromedp.Run(ctx, chromedp.Location())
	if !slices.Contains(rows, spanRow{parent.Value, true}) || focused != parent.Value || !strings.HasSuffix(location, "?span="+parent.Value+"#span-"+parent.Value) {
		t.Errorf("the link to span %s's parent %s: its details open %v, the focus on %q, the address %s", spanID, parent.Value, slices.Contains(rows, spanRow{parent.Value, true}), focused, location)
	}
}

// checkShown checks that the details of span spanID are open and show
// the attributes, and the resource's, that Jaeger returns for it.
func checkShown(t *testing.T, ctx context.Context, jaegerURL, traceID, spanID, how string) {
	t.Helper()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]spanRow](readRows))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rows, spanRow{spanID, true}) {
		t.Errorf("span %s: its details did not open %s", spanID, how)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[shownSpan](readShown(spanID)))
	if err != nil {
		t.Fatal(err)
	}
	attrs, res, err := jaegerAttributes(ctx, jaegerURL, traceID, spanID)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(shown.Attributes, attrs) || !maps.Equal(shown.Resource, res) {
		t.Errorf("span %s, opened %s, shows\n  attributes %q\n  resource %q\nJaeger has\n  attributes %q\n  resource %q", spanID, how, shown.Attributes, shown.Resource, attrs, res)
	}
	t.Logf("span %s, opened %s: %d attributes and %d of its resource shown, as Jaeger has them", spanID, how, len(shown.Attributes), len(shown.Resource))
}

// jaegerAttributes returns the attributes of span spanID and of its
// resource as Jaeger's API v3 returns them (OTLP JSON), each value as
// text, with the span's scope as Jaeger's v1 API and UI show it
// (otel.scope.name, otel.scope.version).
func jaegerAttributes(ctx context.Context, jaegerURL, traceID, spanID string) (attrs, res map[string]string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jaegerURL+"/api/v3/traces/"+traceID, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var doc struct {
		Result struct {
			ResourceSpans []struct {
				Resource   struct{ Attributes []otlpKeyValue }
				ScopeSpans []struct {
					Scope struct{ Name, Version string }
					Spans []struct {
						SpanID     string `json:"spanId"`
						Attributes []otlpKeyValue
					}
				}
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("GET /api/v3/traces/%s: %d: %w", traceID, resp.StatusCode, err)
	}
	for _, rs := range doc.Result.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				if s.SpanID != spanID {
					continue
				}
				attrs = textOf(s.Attributes)
				for k, v := range map[string]string{"otel.scope.name": ss.Scope.Name, "otel.scope.version": ss.Scope.Version} {
					if v != "" {
						attrs[k] = v
					}
				}
				return attrs, textOf(rs.Resource.Attributes), nil
			}
		}
	}
	return nil, nil, fmt.Errorf("Jaeger has no span %s in trace %s", spanID, traceID)
}

// otlpKeyValue is an attribute in OTLP JSON.
type otlpKeyValue struct {
	Key   string
	Value map[string]json.RawMessage // {"stringValue": "..."}, {"intValue": "500"}...
}

// textOf returns the attributes with their values as text: strings as
// they are, integers, doubles and bools as JSON writes them, arrays as
// JSON arrays of those.
func textOf(kvs []otlpKeyValue) map[string]string {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		out[kv.Key] = anyValueText(kv.Value)
	}
	return out
}

func anyValueText(v map[string]json.RawMessage) string {
	for kind, raw := range v {
		switch kind {
		case "stringValue":
			var s string
			_ = json.Unmarshal(raw, &s)
			return s
		case "intValue":
			return strings.Trim(string(raw), `"`)
		case "arrayValue":
			var a struct{ Values []map[string]json.RawMessage }
			_ = json.Unmarshal(raw, &a)
			texts := make([]any, len(a.Values))
			for i, e := range a.Values {
				texts[i] = json.RawMessage(anyValueJSON(e))
			}
			b, _ := json.Marshal(texts)
			return string(b)
		}
		return string(raw)
	}
	return ""
}

// anyValueJSON is an array element as JSON: a string quoted.
func anyValueJSON(v map[string]json.RawMessage) string {
	if s, ok := v["stringValue"]; ok {
		return string(s)
	}
	return anyValueText(v)
}

// hostileAgent is a User-Agent that would run script if the page did not
// escape what a span holds.
const hostileAgent = `<img src=x onerror="window.hostile=1"><script>window.hostile=2</script>`

// checkHostileAttribute sends a failing checkout through the shop's
// gateway with hostileAgent as its User-Agent (the gateway's span records
// it as user_agent.original), searches the front page for that attribute,
// opens the trace it lists and the gateway span's details: the value shows
// as text, and nothing of it ran or became an element.
func checkHostileAttribute(t *testing.T, ctx context.Context, played played, pageURL string) {
	t.Helper()
	traceID, err := hostileCheckout(ctx, played.gatewayURL)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tr, err := jaeger.New(played.jaegerURL).WaitForTrace(wctx, traceID, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	root := analyzer.Analyze(tr).Root.SpanID
	search := pageURL + "/?since=1h&attr=" + url.QueryEscape("user_agent.original="+hostileAgent)
	if err := chromedp.Do(ctx, chromedp.Navigate(search), chromedp.WaitVisible(chromedp.CSS(`ol.groups li.group a.trace`))); err != nil {
		t.Fatalf("searching the front page for user_agent.original: %v", err)
	}
	listed, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
	if err != nil || !strings.Contains(listed, traceID) || !strings.Contains(listed, hostileAgent) {
		t.Errorf("the search for user_agent.original does not list trace %s, or does not quote the search as text (%v):\n%s", traceID, err, listed)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL+"/trace/"+traceID+"?span="+root), chromedp.WaitVisible(chromedp.CSS(`#span-`+root+` .span-details`))); err != nil {
		t.Fatalf("the gateway span's details: %v", err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[shownSpan](readShown(root)))
	if err != nil || shown.Attributes["user_agent.original"] != hostileAgent {
		t.Errorf("the gateway span shows user_agent.original %q, want %q as text (%v)", shown.Attributes["user_agent.original"], hostileAgent, err)
	}
	checkShown(t, ctx, played.jaegerURL, traceID, root, "by ?span=")
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.hostile !== undefined || document.querySelector("main img, main script") !== null`))
	if err != nil || ran {
		t.Errorf("the hostile User-Agent ran or became an element on the trace page (%v)", err)
	}
}

// hostileCheckout sends GET /checkout?item=13 (the panic scenario: it
// fails with no change to the shop) with hostileAgent as its User-Agent,
// and returns its trace ID from the Traceresponse header.
func hostileCheckout(ctx context.Context, gatewayURL string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, gatewayURL+"/checkout?item=13", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", hostileAgent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	m := traceResponse.FindStringSubmatch(resp.Header.Get("Traceresponse"))
	if m == nil {
		return "", fmt.Errorf("checkout with a hostile User-Agent: %d, Traceresponse %q", resp.StatusCode, resp.Header.Get("Traceresponse"))
	}
	return m[1], nil
}

// startServe runs the page as users run it, bin/failhop serve, over the
// Jaeger at jaegerURL and the Prometheus at promURL, until the test ends,
// and returns its URL.
func startServe(t *testing.T, jaegerURL, promURL string) string {
	t.Helper()
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin", "failhop")
	if _, err := os.Stat(bin); err != nil {
		t.Fatal("bin/failhop not found: run `make bin/failhop` (make test does)")
	}
	ports, err := stack.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	pageURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	serve := stack.NewService(stack.Process{
		Name: "failhop serve", Bin: bin, Args: []string{"serve", "--listen", strings.TrimPrefix(pageURL, "http://"), "--jaeger", jaegerURL, "--prometheus", promURL},
		LogFile: filepath.Join(t.TempDir(), "serve.log"), Ready: []string{pageURL + "/healthz"},
	})
	if err := serve.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(serve.Stop)
	return pageURL
}

// openChromium starts Chromium, 1280×900, until the test ends (or for 60
// s at most), and returns its context and what went wrong in its pages so
// far: console errors, exceptions, requests to any host but loopback.
func openChromium(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	chromium := os.Getenv("FAILHOP_TEST_CHROMIUM")
	if chromium == "" {
		var err error
		if chromium, err = exec.LookPath("chromium"); err != nil {
			t.Fatal("chromium not found: `make test` installs it (scripts/chromium.sh), or set FAILHOP_TEST_CHROMIUM to a Chromium binary")
		}
	}
	actx, cancel := chromedp.NewExecAllocator(t.Context(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)

	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				problems = append(problems, "console error")
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(ev.Request.URL); err == nil && u.Scheme != "data" && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" {
				problems = append(problems, "request to "+ev.Request.URL)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(problems)
	}
}

// checkFront checks the front page: every failing hop of results with its
// cause, each with its sparkline and "new" badge (from prom); it fits 400
// px. It returns its screenshot, at 1280 px, and its first hop.
func checkFront(t *testing.T, ctx context.Context, pageURL string, prom *promapi.Client, results []result) ([]byte, string) {
	t.Helper()
	// The failure counts are in Prometheus once the collector's decision
	// wait and a scrape have passed.
	step(t, "Prometheus's counts", waitCounted(t.Context(), prom, countHops(results)))
	step(t, "front page", chromedp.Do(ctx, chromedp.Navigate(pageURL+"/?since=1h"), chromedp.WaitVisible(chromedp.CSS(`ol.groups li.group`))))
	// Every failing hop has its last hour as a sparkline, and is new: the
	// metrics saw none of them the day before.
	sparks, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`ol.groups li.group svg.spark polyline`)))
	step(t, "the sparklines", err)
	badges, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`ol.groups li.group .badge.new`)))
	step(t, "the new badges", err)
	groupNodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`ol.groups li.group`)))
	step(t, "the groups", err)
	if len(sparks) != len(groupNodes) || len(badges) != len(groupNodes) {
		t.Errorf("%d groups, %d sparklines, %d new badges: want one of each per group", len(groupNodes), len(sparks), len(badges))
	}
	groups, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`ol.groups`)))
	step(t, "front page's groups", err)
	firstHop, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`ol.groups li.group .hop`)))
	step(t, "front page's first hop", err)
	front, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	step(t, "front page's screenshot", err)
	for _, res := range results {
		if res.hop != nil && (!strings.Contains(groups, res.hop.Description) || !strings.Contains(groups, string(res.hop.Cause))) {
			t.Errorf("the front page does not list %s (%s) of %s:\n%s", res.hop.Description, res.hop.Cause, res.scenario, groups)
		}
	}

	checkNarrow(t, ctx, "front page", `ol.groups li.group`)
	return front, firstHop
}

// step ends the test when err says a step of it, what, failed.
func step(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
