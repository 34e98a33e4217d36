package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

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
// failing hop with its cause; clicking a trace of the first group opens
// its page, whose waterfall marks the origin span the analyzer named; no
// console error, no request to any host but loopback.
func checkPage(t *testing.T, jaegerURL string, prom *promapi.Client, results []result) {
	t.Helper()
	chromium := os.Getenv("FAILHOP_TEST_CHROMIUM")
	if chromium == "" {
		var err error
		if chromium, err = exec.LookPath("chromium"); err != nil {
			t.Fatal("chromium not found: `make test` installs it (scripts/chromium.sh), or set FAILHOP_TEST_CHROMIUM to a Chromium binary")
		}
	}
	// The page as users run it: bin/failhop serve.
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
		Name: "failhop serve", Bin: bin, Args: []string{"serve", "--listen", strings.TrimPrefix(pageURL, "http://"), "--jaeger", jaegerURL, "--prometheus", prom.BaseURL},
		LogFile: filepath.Join(t.TempDir(), "serve.log"), Ready: []string{pageURL + "/healthz"},
	})
	if err := serve.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer serve.Stop()

	actx, cancel := chromedp.NewExecAllocator(t.Context(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

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
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// The failure counts are in Prometheus once the collector's decision
	// wait and a scrape have passed.
	step("Prometheus's counts", waitCounted(t.Context(), prom, countHops(results)))
	step("front page", chromedp.Do(ctx, chromedp.Navigate(pageURL+"/?since=1h"), chromedp.WaitVisible(chromedp.CSS(`ol.groups li.group`))))
	// Every failing hop has its last hour as a sparkline, and is new: the
	// metrics saw none of them the day before.
	sparks, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`ol.groups li.group svg.spark polyline`)))
	step("the sparklines", err)
	badges, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`ol.groups li.group .badge.new`)))
	step("the new badges", err)
	groupNodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`ol.groups li.group`)))
	step("the groups", err)
	if len(sparks) != len(groupNodes) || len(badges) != len(groupNodes) {
		t.Errorf("%d groups, %d sparklines, %d new badges: want one of each per group", len(groupNodes), len(sparks), len(badges))
	}
	groups, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`ol.groups`)))
	step("front page's groups", err)
	firstHop, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`ol.groups li.group .hop`)))
	step("front page's first hop", err)
	front, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	step("front page's screenshot", err)
	for _, res := range results {
		if res.hop != nil && (!strings.Contains(groups, res.hop.Description) || !strings.Contains(groups, string(res.hop.Cause))) {
			t.Errorf("the front page does not list %s (%s) of %s:\n%s", res.hop.Description, res.hop.Cause, res.scenario, groups)
		}
	}

	// The first group's example trace: its waterfall marks the origin the
	// analyzer names.
	step("opening a trace", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`ol.groups li.group a.trace`)),
		chromedp.WaitVisible(chromedp.CSS(`.waterfall li.span.origin`))))
	location, err := chromedp.Run(ctx, chromedp.Location())
	step("trace page's location", err)
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`.waterfall li.span.origin`), "data-span-id"))
	step("trace page's origin", err)
	origin := attr.Value
	tracePage, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	step("trace page's screenshot", err)
	traceID := location[strings.LastIndex(location, "/")+1:]
	tr, err := jaeger.New(jaegerURL).Trace(t.Context(), traceID)
	step("the trace from Jaeger", err)
	if rep := analyzer.Analyze(tr); len(rep.Hops) == 0 || rep.Hops[0].SpanID != origin || rep.Hops[0].Description != firstHop {
		t.Errorf("trace %s: the page marks %s as the origin, of hop %q; the analyzer says %+v", traceID, origin, firstHop, rep.Hops)
	}
	mu.Lock()
	for _, p := range problems {
		t.Error(p)
	}
	mu.Unlock()

	dir := t.TempDir()
	if os.Getenv(screenshotsEnv) == "1" {
		dir = filepath.Join(root, "docs", "images")
	}
	for name, img := range map[string][]byte{"serve-front.png": front, "serve-trace.png": tracePage} {
		if err := os.WriteFile(filepath.Join(dir, name), img, 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Logf("screenshots in %s", dir)
}
