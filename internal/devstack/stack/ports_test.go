package stack

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func listen(t *testing.T, network, address string) (net.Listener, int) {
	t.Helper()
	l, err := net.Listen(network, address)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", address, err)
	}
	t.Cleanup(func() { l.Close() })
	return l, l.Addr().(*net.TCPAddr).Port
}

func onLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the holder of a port is known from Linux's /proc only")
	}
}

// The holder of a listening port is found from /proc/net/tcp and tcp6 and
// the processes' descriptors; a port that nobody holds has no holder.
func TestListenerPIDs(t *testing.T) {
	onLinux(t)
	me := fmt.Sprintf("pid %d (%s)", os.Getpid(), filepath.Base(os.Args[0]))
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { other.Process.Kill(); other.Wait() }()
	// A process that has exited and been reaped, as a service that
	// failed to bind is a moment before its parent's Wait returns.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ network, address string }{
		{"tcp4", "127.0.0.1:0"}, {"tcp4", "0.0.0.0:0"}, {"tcp6", "[::1]:0"},
	} {
		t.Run(tc.address, func(t *testing.T) {
			l, port := listen(t, tc.network, tc.address)
			if pids := ListenerPIDs(port); !slices.Equal(pids, []int{os.Getpid()}) {
				t.Errorf("ListenerPIDs(%d) = %v, want [%d]", port, pids, os.Getpid())
			}
			if got := Holder(port); got != me {
				t.Errorf("Holder(%d) = %q, want %q", port, got, me)
			}
			if held, known := HeldBy(port, os.Getpid()); !held || !known {
				t.Errorf("HeldBy(%d, us) = %v, %v, want true, true", port, held, known)
			}
			if held, known := HeldBy(port, os.Getppid()); !held || !known {
				t.Errorf("HeldBy(%d, our parent) = %v, %v, want true, true: we descend from it", port, held, known)
			}
			if held, known := HeldBy(port, other.Process.Pid); held || !known {
				t.Errorf("HeldBy(%d, another process) = %v, %v, want false, true", port, held, known)
			}
			if held, known := HeldBy(port, gone.Process.Pid); held || !known {
				t.Errorf("HeldBy(%d, a process that is gone) = %v, %v, want false, true", port, held, known)
			}
			l.Close()
			if pids := ListenerPIDs(port); pids != nil {
				t.Errorf("closed: ListenerPIDs(%d) = %v", port, pids)
			}
			if got := Holder(port); got != "another process" {
				t.Errorf("closed: Holder = %q", got)
			}
			if _, known := HeldBy(port, os.Getpid()); known {
				t.Error("closed: HeldBy claims to know")
			}
		})
	}
}

// A taken port is reported in one line: the port, what it is for, who
// holds it, how to move it; free ports are not reported.
func TestCheckPorts(t *testing.T) {
	onLinux(t)
	_, taken := listen(t, "tcp4", "127.0.0.1:0")
	free, err := FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPorts([]Port{{Port: free[0], What: "free one"}}); err != nil {
		t.Fatalf("free port: %v", err)
	}
	err = CheckPorts([]Port{
		{Port: free[0], What: "free one"},
		{Port: taken, What: "Jaeger query API", Move: "move it with JAEGER_QUERY_PORT=..."},
	})
	var inUse PortsInUseError
	if !errors.As(err, &inUse) || len(inUse) != 1 {
		t.Fatalf("CheckPorts: %v, want one port in use", err)
	}
	want := fmt.Sprintf("port %d (Jaeger query API) is in use by pid %d (%s); stop it, or move it with JAEGER_QUERY_PORT=...",
		taken, os.Getpid(), filepath.Base(os.Args[0]))
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	var b strings.Builder
	PrintError(&b, "stack: ", err)
	if b.String() != "stack: "+want+"\n" {
		t.Errorf("PrintError: %q", b.String())
	}
}

func clearPortEnv(t *testing.T) {
	for _, s := range portSettings {
		t.Setenv(s.env, "")
	}
}

func TestPortsFromEnv(t *testing.T) {
	clearPortEnv(t)
	p, err := PortsFromEnv()
	if err != nil || p != DefaultPorts {
		t.Fatalf("no settings: %+v, %v; want DefaultPorts", p, err)
	}

	t.Setenv("JAEGER_QUERY_PORT", "17686")
	t.Setenv("JAEGER_OTLP_GRPC_PORT", "15317")
	t.Setenv("COLLECTOR_OTLP_GRPC_ENDPOINT", "127.0.0.1:5317")
	t.Setenv("COLLECTOR_HEALTH_ENDPOINT", "localhost:23000")
	t.Setenv("COLLECTOR_METRICS_PORT", "9999")
	want := DefaultPorts
	want.JaegerQuery, want.JaegerOTLPGRPC, want.CollectorOTLPGRPC, want.CollectorHealth, want.CollectorMetrics = 17686, 15317, 5317, 23000, 9999
	if p, err = PortsFromEnv(); err != nil || p != want {
		t.Fatalf("got %+v, %v\nwant %+v", p, err, want)
	}

	for _, tc := range []struct{ name, value, err string }{
		{"JAEGER_QUERY_PORT", "http", `JAEGER_QUERY_PORT="http": "http" is not a port (1-65535)`},
		{"JAEGER_HEALTH_PORT", "70000", `JAEGER_HEALTH_PORT="70000": "70000" is not a port (1-65535)`},
		{"COLLECTOR_OTLP_HTTP_ENDPOINT", "4318", `COLLECTOR_OTLP_HTTP_ENDPOINT="4318": not host:port`},
		{"JAEGER_QUERY_GRPC_PORT", "5317", `JAEGER_QUERY_GRPC_PORT and COLLECTOR_OTLP_GRPC_ENDPOINT both ask for port 5317`},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Setenv(tc.name, tc.value)
			if _, err := PortsFromEnv(); err == nil || err.Error() != tc.err {
				t.Errorf("error %v, want %s", err, tc.err)
			}
		})
	}
}

// DefaultPorts are what jaeger.yaml and otelcol.yaml listen on when no
// variable is set; the collector exports to Jaeger's default port; and
// the configs that run together by default (jaeger + otelcol; jaeger +
// agent + gateway) share no port.
func TestDefaultPortsAreTheConfigs(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) map[string]string {
		d, err := ConfigDefaults(filepath.Join(root, "collector-config", name))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	jaeger, otelcol := read("jaeger.yaml"), read("otelcol.yaml")
	for _, s := range portSettings {
		defaults := otelcol
		if strings.HasPrefix(s.env, "JAEGER_") {
			defaults = jaeger
		}
		if want := s.value(*s.field(&DefaultPorts)); defaults[s.env] != want {
			t.Errorf("%s: config default %q, DefaultPorts %q", s.env, defaults[s.env], want)
		}
	}
	if got, want := otelcol["JAEGER_OTLP_ENDPOINT"], addr(DefaultPorts.JaegerOTLPGRPC); got != want {
		t.Errorf("otelcol.yaml exports to %s, Jaeger listens on %s", got, want)
	}
	if got, want := read("gateway.yaml")["JAEGER_OTLP_ENDPOINT"], addr(DefaultPorts.JaegerOTLPGRPC); got != want {
		t.Errorf("gateway.yaml exports to %s, Jaeger listens on %s", got, want)
	}

	// The ports a config listens on by default, metrics included (served
	// only with COLLECTOR_METRICS_LEVEL set).
	listens := func(name string) map[int]string {
		ports := map[int]string{}
		for k, v := range read(name) {
			if !(strings.HasSuffix(k, "_PORT") || strings.HasPrefix(k, "COLLECTOR_") && strings.HasSuffix(k, "_ENDPOINT")) {
				continue
			}
			if i := strings.LastIndexByte(v, ':'); i >= 0 {
				v = v[i+1:]
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("%s: %s default %q is not a port", name, k, v)
			}
			ports[n] = name + " " + k
		}
		return ports
	}
	for _, together := range [][]string{{"jaeger.yaml", "otelcol.yaml"}, {"jaeger.yaml", "agent.yaml", "gateway.yaml"}} {
		seen := map[int]string{}
		for _, c := range together {
			for port, who := range listens(c) {
				if other, ok := seen[port]; ok {
					t.Errorf("port %d: %s and %s", port, other, who)
				}
				seen[port] = who
			}
		}
	}
}

// On default ports the children run on their configs' defaults: no port
// setting in their environment, even if ours has one (PortsFromEnv read
// it); on other ports they get the settings.
func TestChildEnv(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	clearPortEnv(t)
	t.Setenv("JAEGER_QUERY_PORT", "17686")
	t.Setenv("JAEGER_HOST", "0.0.0.0")
	t.Setenv("JAEGER_OTLP_ENDPOINT", "elsewhere:4317")
	// settings returns the port settings in svc's environment that its
	// config reads.
	settings := func(svc *Service) []string {
		var files []string
		for i, a := range svc.Args {
			if a == "--config" {
				files = append(files, svc.Args[i+1])
			}
		}
		defaults, err := ConfigDefaults(files...)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, kv := range svc.Env {
			name, _, _ := strings.Cut(kv, "=")
			if _, reads := defaults[name]; reads && (slices.ContainsFunc(portSettings, func(s portSetting) bool { return s.env == name }) ||
				name == "JAEGER_HOST" || name == "JAEGER_OTLP_ENDPOINT") {
				got = append(got, kv)
			}
		}
		slices.Sort(got)
		return got
	}
	dir := t.TempDir()
	if got := settings(JaegerService(root, dir, DefaultPorts)); got != nil {
		t.Errorf("Jaeger on DefaultPorts gets %v", got)
	}
	if got := settings(CollectorService(root, dir, "", DefaultPorts, nil)); got != nil {
		t.Errorf("collector on DefaultPorts gets %v", got)
	}
	p := DefaultPorts
	p.JaegerQuery, p.JaegerOTLPGRPC, p.CollectorHealth = 17686, 15317, 23000
	if got, want := settings(JaegerService(root, dir, p)), []string{"JAEGER_OTLP_GRPC_PORT=15317", "JAEGER_QUERY_PORT=17686"}; !slices.Equal(got, want) {
		t.Errorf("Jaeger gets %v, want %v", got, want)
	}
	if got, want := settings(CollectorService(root, dir, "", p, nil)), []string{"COLLECTOR_HEALTH_ENDPOINT=127.0.0.1:23000", "JAEGER_OTLP_ENDPOINT=127.0.0.1:15317"}; !slices.Equal(got, want) {
		t.Errorf("collector gets %v, want %v", got, want)
	}
	// gateway.yaml has other defaults: DefaultPorts are passed.
	if got := settings(CollectorService(root, dir, "gateway.yaml", DefaultPorts, nil)); !slices.Contains(got, "COLLECTOR_OTLP_GRPC_ENDPOINT=127.0.0.1:4317") {
		t.Errorf("gateway on DefaultPorts gets %v", got)
	}
}
