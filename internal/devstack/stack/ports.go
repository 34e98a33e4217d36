package stack

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// portSetting ties a field of Ports to the environment variable of
// collector-config/ that sets it.
type portSetting struct {
	field    func(*Ports) *int
	env      string // JAEGER_QUERY_PORT (a port) or COLLECTOR_OTLP_GRPC_ENDPOINT (host:port)
	endpoint bool   // env is host:port rather than a port
	what     string // for messages
}

var portSettings = []portSetting{
	{func(p *Ports) *int { return &p.JaegerQuery }, "JAEGER_QUERY_PORT", false, "Jaeger query API"},
	{func(p *Ports) *int { return &p.JaegerQueryGRPC }, "JAEGER_QUERY_GRPC_PORT", false, "Jaeger query API, gRPC"},
	{func(p *Ports) *int { return &p.JaegerOTLPGRPC }, "JAEGER_OTLP_GRPC_PORT", false, "Jaeger OTLP/gRPC receiver"},
	{func(p *Ports) *int { return &p.JaegerOTLPHTTP }, "JAEGER_OTLP_HTTP_PORT", false, "Jaeger OTLP/HTTP receiver"},
	{func(p *Ports) *int { return &p.JaegerHealth }, "JAEGER_HEALTH_PORT", false, "Jaeger health check"},
	{func(p *Ports) *int { return &p.CollectorOTLPGRPC }, "COLLECTOR_OTLP_GRPC_ENDPOINT", true, "collector OTLP/gRPC receiver"},
	{func(p *Ports) *int { return &p.CollectorOTLPHTTP }, "COLLECTOR_OTLP_HTTP_ENDPOINT", true, "collector OTLP/HTTP receiver"},
	{func(p *Ports) *int { return &p.CollectorHealth }, "COLLECTOR_HEALTH_ENDPOINT", true, "collector health check"},
	{func(p *Ports) *int { return &p.CollectorMetrics }, "COLLECTOR_METRICS_PORT", false, "collector metrics"},
	{func(p *Ports) *int { return &p.FailureMetrics }, "FAILHOP_METRICS_ENDPOINT", true, "collector failure metrics (Prometheus)"},
}

// collectorSetting reports whether s is a setting of the collector's
// config (rather than Jaeger's).
func (s portSetting) collectorSetting() bool {
	return strings.HasPrefix(s.env, "COLLECTOR_") || s.env == "FAILHOP_METRICS_ENDPOINT"
}

// value is the setting's value for port: "16686", or "127.0.0.1:4317".
func (s portSetting) value(port int) string {
	if s.endpoint {
		return addr(port)
	}
	return strconv.Itoa(port)
}

// port returns what the stack listens on for this setting of p.
func (s portSetting) port(p Ports) Port {
	move := "move it with " + s.env + "=..."
	if s.endpoint {
		move = "move it with " + s.env + "=127.0.0.1:..."
	}
	return Port{Port: *s.field(&p), What: s.what, Move: move}
}

// PortsFromEnv returns DefaultPorts with the ports the user moved by the
// environment variables of collector-config/: JAEGER_QUERY_PORT,
// JAEGER_QUERY_GRPC_PORT, JAEGER_OTLP_GRPC_PORT, JAEGER_OTLP_HTTP_PORT,
// JAEGER_HEALTH_PORT (ports), COLLECTOR_OTLP_GRPC_ENDPOINT,
// COLLECTOR_OTLP_HTTP_ENDPOINT, COLLECTOR_HEALTH_ENDPOINT,
// FAILHOP_METRICS_ENDPOINT (host:port; the stack listens on 127.0.0.1
// whatever the host) and COLLECTOR_METRICS_PORT.
// `make stack` and `make demo` run on these. A malformed value, or two
// settings asking for the same port, is an error.
func PortsFromEnv() (Ports, error) {
	p := DefaultPorts
	by := map[int]string{}
	for _, s := range portSettings {
		v := strings.TrimSpace(os.Getenv(s.env))
		if v != "" {
			port, err := parsePort(v, s.endpoint)
			if err != nil {
				return p, fmt.Errorf("%s=%q: %v", s.env, v, err)
			}
			*s.field(&p) = port
		}
		if s.env == "COLLECTOR_METRICS_PORT" {
			continue // only served when COLLECTOR_METRICS_LEVEL says so
		}
		port := *s.field(&p)
		if other, ok := by[port]; ok {
			return p, fmt.Errorf("%s and %s both ask for port %d", other, s.env, port)
		}
		by[port] = s.env
	}
	return p, nil
}

func parsePort(v string, endpoint bool) (int, error) {
	ps := v
	if endpoint {
		var err error
		if _, ps, err = net.SplitHostPort(v); err != nil {
			return 0, errors.New("not host:port")
		}
	}
	n, err := strconv.Atoi(ps)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port (1-65535)", ps)
	}
	return n, nil
}

// Port is a TCP port of 127.0.0.1 that a run listens on.
type Port struct {
	Port int
	// What listens there: "Jaeger query API".
	What string
	// Move says how to move it, as advice: "move it with
	// JAEGER_QUERY_PORT=..."; empty when it cannot be moved.
	Move string
}

// PortInUse is a port that a run cannot listen on.
type PortInUse struct {
	Port
	// Holder says who listens there: "pid 4242 (jaeger)", or "another
	// process" when it cannot be known.
	Holder string
	Err    error // from listening on it
}

func (p PortInUse) String() string {
	var b strings.Builder
	if errors.Is(p.Err, syscall.EADDRINUSE) {
		fmt.Fprintf(&b, "port %d (%s) is in use by %s; stop it", p.Port.Port, p.What, p.Holder)
	} else {
		fmt.Fprintf(&b, "port %d (%s) cannot be listened on (%v)", p.Port.Port, p.What, p.Err)
	}
	if p.Move != "" {
		b.WriteString(", or " + p.Move)
	}
	return b.String()
}

// PortsInUseError lists the ports that a run found taken before it started
// anything: one line each.
type PortsInUseError []PortInUse

func (e PortsInUseError) Error() string { return strings.Join(e.Lines(), "\n") }

// Lines returns one line per taken port.
func (e PortsInUseError) Lines() []string {
	var l []string
	for _, p := range e {
		l = append(l, p.String())
	}
	return l
}

// CheckPorts checks that every port can be listened on at 127.0.0.1 (a
// listener on 0.0.0.0 or [::] takes it too). It returns a PortsInUseError
// naming each taken port, what holds it and how to move it, or nil.
func CheckPorts(ports []Port) error {
	var taken PortsInUseError
	for _, p := range ports {
		l, err := net.Listen("tcp", addr(p.Port))
		if err == nil {
			l.Close()
			continue
		}
		taken = append(taken, PortInUse{Port: p, Holder: Holder(p.Port), Err: err})
	}
	if len(taken) > 0 {
		return taken
	}
	return nil
}

// PrintError writes err to w with prefix ("stack: "), one taken port per
// line for a PortsInUseError.
func PrintError(w interface{ Write([]byte) (int, error) }, prefix string, err error) {
	var taken PortsInUseError
	if errors.As(err, &taken) {
		for _, l := range taken.Lines() {
			fmt.Fprintln(w, prefix+l)
		}
		return
	}
	fmt.Fprintln(w, prefix+err.Error())
}

// Holder says which process listens on the TCP port: "pid 4242 (jaeger)",
// or "another process" when it cannot be known (not on Linux, or /proc does
// not show the process to us).
func Holder(port int) string {
	var who []string
	for _, pid := range ListenerPIDs(port) {
		who = append(who, fmt.Sprintf("pid %d (%s)", pid, ProcessName(pid)))
	}
	if len(who) == 0 {
		return "another process"
	}
	return strings.Join(who, ", ")
}

// ListenerPIDs returns the processes that hold a listening TCP socket on
// port (any address, IPv4 or IPv6), as Linux's /proc tells: the sockets'
// inodes from /proc/net/tcp and tcp6, and the processes whose /proc/PID/fd
// links to one of them. It returns nil when that cannot be known.
func ListenerPIDs(port int) []int {
	inodes := listenInodes(port)
	if len(inodes) == 0 {
		return nil
	}
	return pidsHolding(inodes)
}

// pidsHolding returns the processes that hold one of the sockets.
func pidsHolding(inodes map[string]bool) []int {
	return processesWhere(func(pid int) bool { return holds(pid, inodes) })
}

// processesWhere returns the processes /proc lists for which keep is true
// (nil elsewhere than on Linux).
func processesWhere(keep func(pid int) bool) []int {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, d := range dirs {
		if pid, err := strconv.Atoi(d.Name()); err == nil && keep(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// HeldBy reports whether process pid, or one of its descendants (a
// wrapper's child), holds a listening socket on port. known is false when
// /proc cannot tell (not on Linux, no such socket listed, the process's
// descriptors not readable). A process that is gone holds nothing: it is
// known not to hold the port, even in the moment between its exit and its
// parent noticing.
func HeldBy(port, pid int) (held, known bool) {
	inodes := listenInodes(port)
	if len(inodes) == 0 {
		return false, false
	}
	if _, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd")); err != nil {
		return false, errors.Is(err, fs.ErrNotExist)
	}
	if holds(pid, inodes) {
		return true, true
	}
	for _, h := range pidsHolding(inodes) {
		for p := h; p > 1; p = parentPID(p) {
			if p == pid {
				return true, true
			}
		}
	}
	return false, true
}

// parentPID returns the parent of process pid, 0 if unknown.
func parentPID(pid int) int {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// holds reports whether one of pid's descriptors is one of the sockets.
func holds(pid int, inodes map[string]bool) bool {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(dir, fd.Name()))
		if err != nil {
			continue
		}
		if ino, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(ino, "]")] {
			return true
		}
	}
	return false
}

// listenInodes returns the inodes of the listening TCP sockets on port,
// from /proc/net/tcp and /proc/net/tcp6.
func listenInodes(port int) map[string]bool {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		file, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(file)
		sc.Scan() // the header
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: TCP_LISTEN
				continue
			}
			i := strings.LastIndexByte(fields[1], ':')
			if p, err := strconv.ParseUint(fields[1][i+1:], 16, 16); err != nil || int(p) != port {
				continue
			}
			if fields[9] != "0" {
				inodes[fields[9]] = true
			}
		}
		file.Close()
	}
	return inodes
}

// ProcessName returns the name of process pid: its command's base name
// (from /proc/PID/cmdline, else /proc/PID/comm), or "unknown".
func ProcessName(pid int) string {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	if b, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		if arg0, _, _ := strings.Cut(string(b), "\x00"); arg0 != "" {
			return filepath.Base(arg0)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
		return strings.TrimSpace(string(b))
	}
	return "unknown"
}

var envRef = regexp.MustCompile(`\$\{env:([A-Za-z0-9_]+)(?::-([^}]*))?\}`)

// ConfigDefaults returns the settings that config files read as
// ${env:NAME:-default}, each with its default ("" when it has none); a
// later file's default wins. Comment lines are skipped.
func ConfigDefaults(files ...string) (map[string]string, error) {
	defaults := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, m := range envRef.FindAllStringSubmatch(line, -1) {
				defaults[m[1]] = m[2]
			}
		}
	}
	return defaults, nil
}

// childEnv is a child's environment: ours without the settings the stack
// decides, then those settings where they differ from the config's
// defaults, so that a child on default ports runs on its config alone.
type childEnv struct {
	defaults map[string]string // nil: the config could not be read, set everything
	unset    []string
	set      []string
}

// setting makes name=value hold in the child: the inherited value is
// dropped, and value is passed unless it is the config's default.
func (e *childEnv) setting(name, value string) {
	e.unset = append(e.unset, name)
	if def, ok := e.defaults[name]; !ok || def != value {
		e.set = append(e.set, name+"="+value)
	}
}

// force passes name=value whatever the config's default.
func (e *childEnv) force(kv ...string) { e.set = append(e.set, kv...) }

// environ returns the child's environment.
func (e *childEnv) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(e.unset, name) {
			env = append(env, kv)
		}
	}
	return append(env, e.set...)
}

// ProcessesWithEnv returns the processes whose environment holds kv
// ("NAME=value"), as /proc tells (Linux; nil elsewhere). Tests give a run a
// variable of their own, which every process it starts inherits, and check
// afterwards that none is left.
func ProcessesWithEnv(kv string) []int {
	me := os.Getpid()
	return processesWhere(func(pid int) bool {
		if pid == me {
			return false
		}
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
		return err == nil && slices.Contains(strings.Split(string(b), "\x00"), kv)
	})
}

// KillLeftOver waits up to grace for the processes whose environment holds
// kv (see ProcessesWithEnv) to exit, then kills those still running and
// describes them ("pid 123 (jaeger)"): what a test reports as left behind.
func KillLeftOver(kv string, grace time.Duration) []string {
	deadline := time.Now().Add(grace)
	for {
		pids := ProcessesWithEnv(kv)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			var left []string
			for _, pid := range pids {
				left = append(left, fmt.Sprintf("pid %d (%s)", pid, ProcessName(pid)))
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}
