package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"

	"github.com/failhop/failhop/internal/present/webui"
)

// prometheusEnv names the Prometheus of the failure metrics, as --prometheus.
const prometheusEnv = "FAILHOP_PROMETHEUS_URL"

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		c        commonFlags
		listen   string
		jaegerUI string
		prom     string
	)
	fs := newFlagSet("serve", "failhop serve [--listen ADDR] [--jaeger URL] [--jaeger-ui URL] [--prometheus URL]", &c)
	fs.StringVar(&listen, "listen", webui.DefaultAddr, "`address` to serve the page on")
	fs.StringVar(&jaegerUI, "jaeger-ui", "", "Jaeger UI `URL` the page links traces to (default: the --jaeger URL)")
	fs.StringVar(&prom, "prometheus", os.Getenv(prometheusEnv), "the Prometheus `URL` that scrapes the collector's failure metrics: each failing hop then shows its failures over the last hour, and a \"new\" badge when it had none the day before (or $"+prometheusEnv+")")
	operands, err := parse(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(operands) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", operands[0])}
	}
	page, err := webui.Start(listen, c.jaeger, cmp.Or(jaegerUI, c.jaeger), prom)
	if err != nil {
		return fmt.Errorf("%w (choose another with --listen)", err)
	}
	defer page.Close()
	if u, err := url.Parse(page.URL); err == nil {
		warnNotLoopback(stderr, "failhop serve", u.Host)
	}
	fmt.Fprintf(stdout, "failhop serve: %s (traces from Jaeger at %s); Ctrl-C stops\n", page.URL, c.jaeger)
	<-ctx.Done()
	return nil
}

// warnNotLoopback warns on stderr when a server of command listens on
// addr (host:port) beyond loopback.
func warnNotLoopback(stderr io.Writer, command, addr string) {
	host, _, _ := net.SplitHostPort(addr)
	if !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(stderr, "%s: warning: listening on %s, not loopback: anyone who reaches it can read your traces\n", command, addr)
	}
}
