// Command shop runs the demo shop: it builds the five services and starts
// them as separate processes, then waits for Ctrl-C and stops them.
//
//	go run ./cmd/shop                       # SQLite, ports 8080-8084
//	DATABASE_URL=postgres://... go run ./cmd/shop
//	curl -i 'http://127.0.0.1:8080/checkout?item=1'
//
// Per-service settings go on the command line as SERVICE:KEY=value, for
// example inventory:INVENTORY_SLOW_QUERY=2s or orders:PAYMENTS_API_KEY=wrong.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/failhop/failhop/examples/internal/shop"
)

func main() {
	dataDir := flag.String("data", "", "directory of the SQLite files and logs (default: a temporary one)")
	dbURL := flag.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL shared by the services; empty for SQLite (env DATABASE_URL)")
	quiet := flag.Bool("q", false, "do not show the services' logs")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: shop [flags] [SERVICE:KEY=value...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	cfg := shop.Config{DataDir: *dataDir, DatabaseURL: *dbURL, Progress: os.Stderr, Env: map[string][]string{}}
	if !*quiet {
		cfg.Logs = os.Stdout
	}
	for _, arg := range flag.Args() {
		svc, kv, ok := strings.Cut(arg, ":")
		if !ok || !strings.Contains(kv, "=") || !slices.Contains(shop.Services, svc) {
			fmt.Fprintf(os.Stderr, "shop: %q is not SERVICE:KEY=value (services: %s)\n", arg, strings.Join(shop.Services, ", "))
			os.Exit(2)
		}
		cfg.Env[svc] = append(cfg.Env[svc], kv)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := shop.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "shop: ready: curl -i '%s/checkout?item=1' (item 13 has a bug); Ctrl-C stops\n", s.URL("gateway"))
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "shop: stopping")
	s.Close()
}
