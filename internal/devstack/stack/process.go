// Package stack runs failhop's local pipeline without Docker: Jaeger
// (bin/jaeger) and the failhop collector (bin/failhop-collector) on
// loopback, with the configs of collector-config/. Tests, the demo and
// `make stack` use it.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ReadyTimeout bounds how long a process may take to become ready.
var ReadyTimeout = 30 * time.Second

// stopTimeout is how long a process may take to stop after SIGTERM.
const stopTimeout = 10 * time.Second

// A Process says how to run a child process: what to run, where its output
// goes, and when it is ready. NewService runs it; the stack's Jaeger and
// collector and the demo shop's services are each one.
type Process struct {
	Name    string   // in messages
	Bin     string   // the executable
	Args    []string // its arguments
	Env     []string // its environment; nil: ours
	LogFile string   // receives its output, appended
	// Output also receives its output, if not nil.
	Output io.Writer
	// Ready lists URLs that answer 200 once the process is ready.
	Ready []string
}

// process is a running (or stopped) Process.
type process struct {
	Process
	listens []Port // what it listens on, checked before a stack starts

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// start starts the process and waits until it is ready (see waitReady).
func (p *process) start(ctx context.Context) error {
	logf, err := os.OpenFile(p.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p.cmd = exec.Command(p.Bin, p.Args...)
	p.cmd.Env = p.Env
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if p.Output != nil {
		// Copied by exec's goroutine until Wait returns.
		p.cmd.Stdout = io.MultiWriter(logf, p.Output)
		p.cmd.Stderr = p.cmd.Stdout
	}
	p.cmd.SysProcAttr = procAttr()
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", p.Name, err)
	}
	p.done = make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	if err := p.waitReady(ctx); err != nil {
		p.stop()
		return fmt.Errorf("%w\n%s's log (%s):\n%s", err, p.Name, p.LogFile, p.LogTail(40))
	}
	return nil
}

// waitReady waits until every ready URL answers 200 from our process: the
// process is still running and, where /proc tells (Linux), the port that
// answered is held by its pid (or a child of it), not by another process
// that was there first.
func (p *process) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	ok := func(url string) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var foreign string // why an answer was not our process's
	for {
		ready := true
		for _, u := range p.Ready {
			if ready = ok(u); !ready {
				break
			}
			if why := p.answeredByOther(u); why != "" {
				ready, foreign = false, why
				break
			}
		}
		if ready && p.running() {
			return nil
		}
		select {
		case <-p.done:
			return p.exited()
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return fmt.Errorf("%s: start interrupted", p.Name)
			}
			if foreign != "" {
				foreign = "; " + foreign
			}
			return fmt.Errorf("%s not ready after %v (waited for %s)%s", p.Name, ReadyTimeout, strings.Join(p.Ready, ", "), foreign)
		case <-tick.C:
		}
	}
}

// exited is the error of a process that exited before it was ready. When
// another process listens on one of its ready ports (the usual reason a
// server exits at start), it names that process.
func (p *process) exited() error {
	var held string
	for _, u := range p.Ready {
		pu, err := url.Parse(u)
		if err != nil {
			continue
		}
		port, err := strconv.Atoi(pu.Port())
		if err == nil && len(ListenerPIDs(port)) > 0 {
			held += fmt.Sprintf("; port %d is in use by %s: stop it", port, Holder(port))
		}
	}
	return fmt.Errorf("%s (pid %d) exited at start (%v)%s", p.Name, p.cmd.Process.Pid, p.cmd.ProcessState, held)
}

// answeredByOther says why the answer of rawURL did not come from our
// process, if /proc tells that another process holds its port; "" if it
// is ours or cannot be known.
func (p *process) answeredByOther(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return ""
	}
	if held, known := HeldBy(port, p.cmd.Process.Pid); !known || held {
		return ""
	}
	return fmt.Sprintf("port %d answers, but it is held by %s, not by %s (pid %d)", port, Holder(port), p.Name, p.cmd.Process.Pid)
}

// running reports whether the process was started and has not exited.
func (p *process) running() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM, waits, then kills; it is a no-op if not running.
func (p *process) stop() {
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// kill stops the process at once, as a crash would.
func (p *process) kill() {
	if p.running() {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// LogTail returns the last lines of the process's log.
func (p *process) LogTail(lines int) string {
	b, _ := os.ReadFile(p.LogFile)
	l := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(l) > lines {
		l = append([]string{"..."}, l[len(l)-lines:]...)
	}
	return strings.Join(l, "\n")
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1.
//
// They are picked at random below the kernel's ephemeral range, not by
// listening on port 0: a port the kernel hands out for :0 is one it also
// hands out as the local port of outgoing connections, so between this
// call and the child's listen, any process connecting anywhere could take
// it (address already in use). Below that range, only another listener
// picking at random could.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	low := ephemeralLow()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		addr := "127.0.0.1:0"
		if low > freePortsFrom+n && tries < 100*n {
			addr = "127.0.0.1:" + strconv.Itoa(freePortsFrom+rand.IntN(low-freePortsFrom))
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			if addr != "127.0.0.1:0" {
				continue // taken: pick another
			}
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// freePortsFrom is the lowest port FreePorts picks: above the well-known
// and most registered ports services are configured with.
const freePortsFrom = 20000

// ephemeralLow returns the first port of the kernel's ephemeral range
// (Linux: /proc/sys/net/ipv4/ip_local_port_range), or 0 if unknown.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	low, _ := strconv.Atoi(f[0])
	return low
}

// RepoRoot returns the directory of failhop's root module (the go.mod of
// module github.com/failhop/failhop), found by walking up from the working
// directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && isRootModule(b) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("no go.mod of module github.com/failhop/failhop above " + dir)
		}
		d = parent
	}
}

func isRootModule(gomod []byte) bool {
	for line := range strings.SplitSeq(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == "github.com/failhop/failhop"
		}
	}
	return false
}
