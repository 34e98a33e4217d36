// Package shop runs the demo shop: the five services as child processes,
// built from this module, talking real HTTP (and gRPC, orders to shipping)
// to each other. The shop command
// (cmd/shop), the scenario runner (cmd/demo) and the tests use it.
package shop

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/failhop/failhop/internal/devstack/stack"
)

// Services lists the shop's services, each a package of this module, in
// the order they start (the callees first).
var Services = []string{"payments", "inventory", "shipping", "orders", "gateway"}

// DefaultAddrs are the services' listen addresses.
var DefaultAddrs = map[string]string{
	"gateway":   "127.0.0.1:8080",
	"orders":    "127.0.0.1:8081",
	"inventory": "127.0.0.1:8082",
	"payments":  "127.0.0.1:8083",
	"shipping":  "127.0.0.1:8084",
}

// DefaultPorts returns the ports of DefaultAddrs, for a check before
// anything starts (stack.CheckPorts); move says how to move them ("move it
// with DEMO_FREE_PORTS=1"), empty for no advice.
func DefaultPorts(move string) []stack.Port {
	var ports []stack.Port
	for _, name := range Services {
		_, p, _ := net.SplitHostPort(DefaultAddrs[name])
		n, _ := strconv.Atoi(p)
		ports = append(ports, stack.Port{Port: n, What: "the shop's " + name, Move: move})
	}
	return ports
}

// APIKey is the payments API key the shop gives to orders and payments.
const APIKey = "demo-payments-key"

// Config says how to run the shop. The zero value runs it on the default
// addresses with SQLite in a temporary directory.
type Config struct {
	// ModuleDir is the directory of the examples module; "" finds it from
	// the working directory upwards.
	ModuleDir string
	// BinDir receives the services' binaries; "" means ModuleDir/bin.
	BinDir string
	// DataDir holds the SQLite files and the services' logs; "" means a new
	// temporary directory, removed by Close.
	DataDir string
	// DatabaseURL is a PostgreSQL URL the services share, each with its own
	// schema (SchemaPrefix + service name); "" means SQLite.
	DatabaseURL  string
	SchemaPrefix string
	// OTLPEndpoint is where the services send traces; "" means
	// $OTEL_EXPORTER_OTLP_ENDPOINT, else http://127.0.0.1:4317.
	OTLPEndpoint string
	// FreePorts makes the services listen on free ports instead of
	// DefaultAddrs (for tests).
	FreePorts bool
	// SetupDefaults leaves the services' export on exporters.Setup's
	// defaults, as a user's services are: the batch span processor's 5 s
	// schedule (unless the environment sets OTEL_BSP_SCHEDULE_DELAY), a
	// failed request at once. Otherwise they export every 200 ms, so that
	// the demo's traces show up soon.
	SetupDefaults bool
	// Env adds environment variables per service ("KEY=value"), after the
	// shop's own and before those given to Restart.
	Env map[string][]string
	// Logs receives the services' output, each line prefixed with the
	// service's name; nil writes it to <DataDir>/<service>.log only.
	Logs io.Writer
	// Progress receives what the shop is doing (building, starting); nil
	// discards it.
	Progress io.Writer
}

// Shop is a running shop.
type Shop struct {
	cfg     Config
	tmpData bool
	addrs   map[string]string

	mu    sync.Mutex
	procs map[string]*stack.Service
}

// Start builds the services and starts them, waiting until each answers
// its health check. On DefaultAddrs, it first checks that their ports are
// free (the error is then a stack.PortsInUseError). On error, whatever was
// started is stopped.
func Start(ctx context.Context, cfg Config) (*Shop, error) {
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	s := &Shop{cfg: cfg, procs: map[string]*stack.Service{}, addrs: map[string]string{}}
	var err error
	if s.cfg.ModuleDir == "" {
		if s.cfg.ModuleDir, err = findModule(); err != nil {
			return nil, err
		}
	}
	s.cfg.BinDir = cmp.Or(s.cfg.BinDir, filepath.Join(s.cfg.ModuleDir, "bin"))
	if s.cfg.DataDir == "" {
		if s.cfg.DataDir, err = os.MkdirTemp("", "failhop-shop-"); err != nil {
			return nil, err
		}
		s.tmpData = true
	}
	s.cfg.OTLPEndpoint = cmp.Or(s.cfg.OTLPEndpoint, os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "http://127.0.0.1:4317")
	if cfg.FreePorts {
		ports, err := stack.FreePorts(len(Services))
		if err != nil {
			return nil, err
		}
		for i, name := range Services {
			s.addrs[name] = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i]))
		}
	} else {
		maps.Copy(s.addrs, DefaultAddrs)
		if err := stack.CheckPorts(DefaultPorts("")); err != nil {
			return nil, err
		}
	}
	if err := s.build(ctx); err != nil {
		s.Close()
		return nil, err
	}
	for _, name := range Services {
		if err := s.start(ctx, name, nil); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// URL returns the base URL of a service, such as "http://127.0.0.1:8080".
func (s *Shop) URL(service string) string { return "http://" + s.addrs[service] }

// DataDir returns the directory of the SQLite files and logs.
func (s *Shop) DataDir() string { return s.cfg.DataDir }

// Restart stops a service and starts it again with extraEnv ("KEY=value")
// added to its environment; Restart(name) brings back its normal settings.
func (s *Shop) Restart(ctx context.Context, service string, extraEnv ...string) error {
	if err := s.Stop(service); err != nil {
		return err
	}
	return s.start(ctx, service, extraEnv)
}

// Stop stops a service (SIGTERM, then SIGKILL after 10 seconds; see
// stack.Service). Stopping a service that is not running does nothing.
func (s *Shop) Stop(service string) error {
	if !slices.Contains(Services, service) {
		return fmt.Errorf("no service %q", service)
	}
	s.mu.Lock()
	p := s.procs[service]
	delete(s.procs, service)
	s.mu.Unlock()
	if p != nil {
		p.Stop()
	}
	return nil
}

// Close stops every service, the callers first, and removes the data
// directory if Start made it.
func (s *Shop) Close() error {
	for _, name := range slices.Backward(Services) {
		s.Stop(name)
	}
	if s.tmpData {
		return os.RemoveAll(s.cfg.DataDir)
	}
	return nil
}

func (s *Shop) build(ctx context.Context) error {
	fmt.Fprintf(s.cfg.Progress, "shop: building %s into %s\n", strings.Join(Services, ", "), s.cfg.BinDir)
	args := []string{"build", "-o", s.cfg.BinDir + string(filepath.Separator)}
	for _, name := range Services {
		args = append(args, "./"+name)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = s.cfg.ModuleDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

// env is the environment of a service: the shop's settings, then
// Config.Env, then extra.
func (s *Shop) env(name string, extra []string) []string {
	env := append(os.Environ(),
		"ADDR="+s.addrs[name],
		"DATA_DIR="+s.cfg.DataDir,
		"OTEL_EXPORTER_OTLP_ENDPOINT="+s.cfg.OTLPEndpoint,
		"ORDERS_URL="+s.URL("orders"),
		"INVENTORY_URL="+s.URL("inventory"),
		"PAYMENTS_URL="+s.URL("payments"),
		"SHIPPING_ADDR="+s.addrs["shipping"],
		"PAYMENTS_API_KEY="+APIKey,
	)
	if !s.cfg.SetupDefaults {
		env = append(env, "OTEL_BSP_SCHEDULE_DELAY=200") // export spans within 200ms: the demo waits for them
	}
	if s.cfg.DatabaseURL != "" {
		env = append(env, "DATABASE_URL="+s.cfg.DatabaseURL, "DATABASE_SCHEMA="+s.cfg.SchemaPrefix+name)
	}
	env = append(env, s.cfg.Env[name]...)
	return append(env, extra...)
}

func (s *Shop) start(ctx context.Context, name string, extra []string) error {
	if !slices.Contains(Services, name) {
		return fmt.Errorf("no service %q", name)
	}
	fmt.Fprintf(s.cfg.Progress, "shop: starting %s on %s %s\n", name, s.addrs[name], strings.Join(extra, " "))
	p := stack.NewService(stack.Process{
		Name:    name,
		Bin:     filepath.Join(s.cfg.BinDir, name),
		Env:     s.env(name, extra),
		LogFile: filepath.Join(s.cfg.DataDir, name+".log"),
		Ready:   []string{s.URL(name) + "/healthz"},
	})
	if s.cfg.Logs != nil {
		p.Output = &prefixWriter{w: s.cfg.Logs, prefix: fmt.Sprintf("%-9s | ", name)}
	}
	if err := p.Start(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	s.procs[name] = p
	s.mu.Unlock()
	return nil
}

// prefixWriter writes each line to w with prefix before it. A service's
// output goes through one, from one goroutine.
type prefixWriter struct {
	w      io.Writer
	prefix string
	line   []byte // the end of the last write, not yet a whole line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.line = append(p.line, b...)
	for {
		i := bytes.IndexByte(p.line, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.line[:i]); err != nil {
			return len(b), err
		}
		p.line = p.line[i+1:]
	}
}

// findModule returns the examples module's directory: the working
// directory or a parent, or its "examples" subdirectory.
func findModule() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		for _, d := range []string{dir, filepath.Join(dir, "examples")} {
			b, err := os.ReadFile(filepath.Join(d, "go.mod"))
			if err == nil && strings.Contains(string(b), "module github.com/failhop/failhop/examples\n") {
				return d, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("examples module not found: run from the failhop repository or set Config.ModuleDir")
		}
		dir = parent
	}
}
