package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/failhop/failhop/internal/webui"
	"github.com/failhop/failhop/jaeger"
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
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("%w (choose another with --listen)", err)
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(stderr, "failhop serve: warning: listening on %s, not loopback: anyone who reaches it can read your traces\n", ln.Addr())
	}
	srv := &http.Server{
		Handler:           webui.New(jaeger.New(c.jaeger), cmp.Or(jaegerUI, c.jaeger)).Handler(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	fmt.Fprintf(stdout, "failhop serve: http://%s/ (traces from Jaeger at %s); Ctrl-C stops\n", ln.Addr(), c.jaeger)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
