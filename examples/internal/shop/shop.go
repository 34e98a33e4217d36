// Package shop runs the demo shop: the four services as child processes,
// built from this module, talking real HTTP to each other. The shop command
// (cmd/shop), the scenario runner (cmd/demo) and the tests use it.
package shop

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/failhop/failhop/internal/stack"
)

// Services lists the shop's services, each a package of this module, in
// the order they start (the callees first).
var Services = []string{"payments", "inventory", "orders", "gateway"}

// DefaultAddrs are the services' listen addresses.
var DefaultAddrs = map[string]string{
	"gateway":   "127.0.0.1:8080",
	"orders":    "127.0.0.1:8081",
	"inventory": "127.0.0.1:8082",
	"payments":  "127.0.0.1:8083",
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
	procs map[string]*proc
}

type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *os.File
}

// Start builds the services and starts them, waiting until each answers
// its health check. On DefaultAddrs, it first checks that their ports are
// free (the error is then a stack.PortsInUseError). On error, whatever was
// started is stopped.
func Start(ctx context.Context, cfg Config) (*Shop, error) {
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	s := &Shop{cfg: cfg, procs: map[string]*proc{}, addrs: map[string]string{}}
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

// Stop stops a service (SIGTERM, then SIGKILL after 10 seconds). Stopping a
// service that is not running does nothing.
func (s *Shop) Stop(service string) error {
	if !slices.Contains(Services, service) {
		return fmt.Errorf("no service %q", service)
	}
	s.mu.Lock()
	p := s.procs[service]
	delete(s.procs, service)
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
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
		"OTEL_BSP_SCHEDULE_DELAY=200", // export spans within 200ms: the demo waits for them
		"ORDERS_URL="+s.URL("orders"),
		"INVENTORY_URL="+s.URL("inventory"),
		"PAYMENTS_URL="+s.URL("payments"),
		"PAYMENTS_API_KEY="+APIKey,
	)
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
	log, err := os.OpenFile(filepath.Join(s.cfg.DataDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.cfg.Progress, "shop: starting %s on %s %s\n", name, s.addrs[name], strings.Join(extra, " "))
	cmd := exec.Command(filepath.Join(s.cfg.BinDir, name))
	cmd.Env = s.env(name, extra)
	cmd.SysProcAttr = procAttr()
	var out io.Writer = log
	var pw *io.PipeWriter
	if s.cfg.Logs != nil {
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		out = io.MultiWriter(log, pw)
		go prefixLines(s.cfg.Logs, name, pr)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		log.Close()
		if pw != nil {
			pw.Close()
		}
		return err
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), log: log}
	go func() {
		cmd.Wait()
		log.Close()
		if pw != nil {
			pw.Close()
		}
		close(p.done)
	}()
	s.mu.Lock()
	s.procs[name] = p
	s.mu.Unlock()
	if err := s.waitHealthy(ctx, name, p); err != nil {
		s.Stop(name)
		return err
	}
	return nil
}

// waitHealthy polls the service's /healthz until it answers 200 from the
// service's own process: still running and, where /proc tells (Linux),
// holding the port that answered (not another process that was there
// first).
func (s *Shop) waitHealthy(ctx context.Context, name string, p *proc) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	pid := p.cmd.Process.Pid
	_, ps, _ := net.SplitHostPort(s.addrs[name])
	port, _ := strconv.Atoi(ps)
	foreign := ""
	for {
		resp, err := client.Get(s.URL(name) + "/healthz")
		if err == nil {
			resp.Body.Close()
			held, known := stack.HeldBy(port, pid)
			switch {
			case resp.StatusCode != http.StatusOK:
			case known && !held:
				foreign = fmt.Sprintf("; port %d answers, but it is held by %s, not by %s (pid %d)", port, stack.Holder(port), name, pid)
			case p.running():
				return nil
			}
		}
		select {
		case <-p.done:
			logFile := filepath.Join(s.cfg.DataDir, name+".log")
			where := "the end of " + logFile // Close removes a temporary one
			if s.tmpData {
				where = "the end of its log"
			}
			return fmt.Errorf("%s (pid %d) exited at start (%v); %s:\n%s", name, pid, p.cmd.ProcessState, where, logTail(logFile, 20))
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy: %w%s", name, ctx.Err(), foreign)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// running reports whether the process has not exited.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// logTail returns the last lines of a log file.
func logTail(file string, lines int) string {
	b, _ := os.ReadFile(file)
	l := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(l) > lines {
		l = append([]string{"..."}, l[len(l)-lines:]...)
	}
	return strings.Join(l, "\n")
}

func prefixLines(w io.Writer, name string, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fmt.Fprintf(w, "%-9s | %s\n", name, sc.Text())
	}
	io.Copy(io.Discard, r)
}

// freeAddr returns a loopback address with a port that is free now.
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
