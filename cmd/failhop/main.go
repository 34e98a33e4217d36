// Command failhop names the failing hop of a trace: of all the red spans of
// a request that failed, the one that made it fail, and why.
//
//	failhop why <trace-id>            analyze a trace stored in Jaeger
//	failhop why --file trace.json     analyze a trace saved as JSON
//	failhop errors --service orders   recent failures of a service, grouped by hop
//	failhop serve                     a web page of the failed requests and their traces
//	failhop mcp                       the same answers as tools for AI assistants (MCP)
//
// Output is for people; --json gives the same reports for machines (the
// schema is in docs/cli.md). Exit status: 0 when the trace was analyzed
// (whether the request failed or not), 1 when it could not be (Jaeger
// unreachable, trace not found, unreadable file), 2 for a usage error.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/failhop/failhop/internal/present/render"
	"github.com/failhop/failhop/internal/present/webui"
	"github.com/failhop/failhop/jaeger"
)

// Exit statuses.
const (
	exitOK       = 0 // analyzed
	exitFailed   = 1 // could not analyze
	exitUsage    = 2 // bad command line
	jaegerEnv    = "FAILHOP_JAEGER_URL"
	defaultQuery = "http://localhost:16686"
	pageEnv      = "FAILHOP_PAGE_URL"
)

// defaultPage is where `make stack` and `failhop serve` serve the page.
func defaultPage() string {
	port, err := webui.PortFromEnv()
	if err != nil {
		return "http://" + webui.DefaultAddr
	}
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

const usage = `failhop names the failing hop of a trace: which span broke the request, and why.

Usage:
  failhop why [flags] <trace-id>        analyze a trace stored in Jaeger
  failhop why [flags] --file FILE       analyze traces saved as JSON (Jaeger or OTLP)
  failhop errors --service S [flags]    recent failed traces of a service, grouped by failing hop
  failhop serve [flags]                 a web page of the failed requests and their traces
  failhop mcp [flags]                   why and errors as tools for AI assistants (Model Context Protocol, over stdio)

Run 'failhop <command> --help' for the flags of a command.
The Jaeger query URL comes from --jaeger, else $FAILHOP_JAEGER_URL, else ` + defaultQuery + `.

Exit status: 0 analyzed, 1 could not analyze (Jaeger unreachable, trace not
found, bad file), 2 usage error.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "why":
		err = runWhy(ctx, args[1:], stdout, stderr)
	case "errors":
		err = runErrors(ctx, args[1:], stdout, stderr)
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "mcp":
		err = runMCP(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "failhop: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "failhop %s: %v\nRun 'failhop %s --help' for usage.\n", args[0], err, args[0])
		return exitUsage
	}
	fmt.Fprintf(stderr, "failhop %s: %v\n", args[0], err)
	return exitFailed
}

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// commonFlags are the flags every command has.
type commonFlags struct {
	json   bool
	jaeger string
	page   string
}

// links says where the text output links traces: to the Jaeger UI, or to
// failhop's page when that Jaeger serves no UI.
func (c commonFlags) links(ctx context.Context) render.Links {
	if jaeger.New(c.jaeger).ServesUI(ctx) {
		return render.Links{Base: c.jaeger}
	}
	return render.Links{Base: c.page, Page: true}
}

// newFlagSet returns a flag set for a command, with the common flags and
// a usage text.
func newFlagSet(name, synopsis string, c *commonFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors once, in run
	fs.BoolVar(&c.json, "json", false, "print JSON for machines (schema: docs/cli.md) instead of text")
	fs.StringVar(&c.jaeger, "jaeger", cmp.Or(os.Getenv(jaegerEnv), defaultQuery), "Jaeger query `URL` (or $"+jaegerEnv+")")
	fs.StringVar(&c.page, "page", cmp.Or(os.Getenv(pageEnv), defaultPage()), "failhop's page (failhop serve) `URL`, that text output links traces to when Jaeger serves no UI (or $"+pageEnv+")")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, flags and operands in any order, and returns the
// operands. --help prints the usage on stdout; other mistakes are usage
// errors.
func parse(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fs.Usage()
				return nil, err
			}
			return nil, usageError{strings.TrimSpace(err.Error())}
		}
		if fs.NArg() == 0 {
			return operands, nil
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
