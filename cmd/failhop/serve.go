package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"

	"github.com/failhop/failhop/internal/webui"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		c        commonFlags
		listen   string
		jaegerUI string
	)
	fs := newFlagSet("serve", "failhop serve [--listen ADDR] [--jaeger URL] [--jaeger-ui URL]", &c)
	fs.StringVar(&listen, "listen", webui.DefaultAddr, "`address` to serve the page on")
	fs.StringVar(&jaegerUI, "jaeger-ui", "", "Jaeger UI `URL` the page links traces to (default: the --jaeger URL)")
	operands, err := parse(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(operands) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", operands[0])}
	}
	page, err := webui.Start(listen, c.jaeger, cmp.Or(jaegerUI, c.jaeger))
	if err != nil {
		return fmt.Errorf("%w (choose another with --listen)", err)
	}
	defer page.Close()
	if u, _ := url.Parse(page.URL); !net.ParseIP(u.Hostname()).IsLoopback() {
		fmt.Fprintf(stderr, "failhop serve: warning: listening on %s, not loopback: anyone who reaches it can read your traces\n", u.Host)
	}
	fmt.Fprintf(stdout, "failhop serve: %s (traces from Jaeger at %s); Ctrl-C stops\n", page.URL, c.jaeger)
	<-ctx.Done()
	return nil
}
