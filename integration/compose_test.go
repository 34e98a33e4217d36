package integration

import (
	"cmp"
	"context"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/failhop/failhop/internal/devstack/stack"
)

// No Docker engine runs here, so docker-compose.yml is checked by loading it
// as Docker Compose does (compose-go) and comparing it with the configs it
// mounts and the local stack: the same services, ports and settings.

func loadCompose(t *testing.T) (*types.Project, string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithName("failhop"), cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p, root
}

func env(s types.ServiceConfig, key string) string {
	if v := s.Environment[key]; v != nil {
		return *v
	}
	return ""
}

func published(s types.ServiceConfig) []int {
	var ports []int
	for _, p := range s.Ports {
		n, _ := strconv.Atoi(p.Published)
		ports = append(ports, n)
	}
	slices.Sort(ports)
	return ports
}

// configEnv returns the ${env:NAME...} variables a config file reads.
func configEnv(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{env:([A-Z0-9_]+)`).FindAllStringSubmatch(string(b), -1) {
		names[m[1]] = true
	}
	return names
}

func TestComposeServices(t *testing.T) {
	p, root := loadCompose(t)
	want := []string{"collector", "failhop", "gateway", "inventory", "jaeger", "orders", "payments", "prometheus", "shipping"}
	if got := p.ServiceNames(); !slices.Equal(sortedCopy(got), want) {
		t.Fatalf("services %v, want %v", got, want)
	}
	// Every service built here has its Dockerfile in the repository.
	for name, s := range p.Services {
		if s.Build == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil { // compose-go makes the context absolute
			t.Errorf("%s: %v", name, err)
		}
	}
	jaeger, collector := p.Services["jaeger"], p.Services["collector"]

	// What each container listens on: its config's defaults, unless the
	// file sets the variable.
	jaegerDefaults := configDefaults(t, root, "jaeger.yaml")
	collectorDefaults := configDefaults(t, root, "otelcol.yaml")
	jaegerSetting := func(key string) string { return cmp.Or(env(jaeger, key), jaegerDefaults[key]) }
	collectorSetting := func(key string) string { return cmp.Or(env(collector, key), collectorDefaults[key]) }

	t.Run("jaeger", func(t *testing.T) {
		if jaeger.Image != "jaegertracing/jaeger:2.12.0" {
			t.Errorf("image %q, want the official Jaeger 2.12.0 (Jaeger's Go module v1.75.0, what bin/jaeger is built from)", jaeger.Image)
		}
		if got := published(jaeger); !slices.Equal(got, []int{stack.DefaultPorts.JaegerQuery}) {
			t.Errorf("published ports %v, want the UI on %d as the local stack", got, stack.DefaultPorts.JaegerQuery)
		}
		// The container port published is the one Jaeger's query API
		// listens on, on every interface.
		checkTargets(t, jaeger, map[int]string{stack.DefaultPorts.JaegerQuery: jaegerSetting("JAEGER_QUERY_PORT")})
		if host := jaegerSetting("JAEGER_HOST"); host != "0.0.0.0" {
			t.Errorf("Jaeger listens on %s: the other containers and the host cannot reach it", host)
		}
		checkMountedConfig(t, jaeger, root, "jaeger.yaml", "jaeger-spm.yaml")
		if u := env(jaeger, "JAEGER_PROMETHEUS_URL"); u != "http://prometheus:9090" {
			t.Errorf("the Monitor tab reads %q, not the prometheus service", u)
		}
	})

	// Both have a memory limit; Jaeger, which does not read it, is told 80%
	// of it as its soft limit, as the collector's go_memory_limit sets its
	// own.
	t.Run("memory", func(t *testing.T) {
		for _, s := range []types.ServiceConfig{jaeger, collector} {
			if s.MemLimit != 1<<30 {
				t.Errorf("%s: mem_limit %d, want 1g", s.Name, s.MemLimit)
			}
		}
		if got := env(jaeger, "GOMEMLIMIT"); got != "819MiB" {
			t.Errorf("jaeger: GOMEMLIMIT %q, want 819MiB (80%% of its mem_limit)", got)
		}
		if cfg, err := os.ReadFile(filepath.Join(root, "collector-config", "otelcol.yaml")); err != nil ||
			!strings.Contains(string(cfg), "depth_limit, go_memory_limit]") {
			t.Error("otelcol.yaml does not start go_memory_limit")
		}
	})

	t.Run("prometheus", func(t *testing.T) {
		prom := p.Services["prometheus"]
		if prom.Image != "prom/prometheus:v2.42.0" {
			t.Errorf("image %q, want Prometheus 2.42.0, the version make test runs (Debian's)", prom.Image)
		}
		if got := published(prom); !slices.Equal(got, []int{9090}) {
			t.Errorf("published ports %v, want 9090", got)
		}
		checkMountedConfig(t, prom, root, "prometheus-compose.yml")
		cfg, err := os.ReadFile(filepath.Join(root, "collector-config", "prometheus-compose.yml"))
		if err != nil {
			t.Fatal(err)
		}
		// It scrapes the ports the collector and Jaeger serve metrics on.
		_, metricsPort, _ := strings.Cut(collectorSetting("FAILHOP_METRICS_ENDPOINT"), ":")
		for _, target := range []string{"collector:" + metricsPort, "jaeger:" + configDefaults(t, root, "jaeger-spm.yaml")["JAEGER_SPANMETRICS_PORT"]} {
			if !strings.Contains(string(cfg), `"`+target+`"`) {
				t.Errorf("prometheus-compose.yml does not scrape %s", target)
			}
		}
		if host, _, _ := strings.Cut(collectorSetting("FAILHOP_METRICS_ENDPOINT"), ":"); host != "0.0.0.0" {
			t.Errorf("the collector serves its failure metrics on %s: Prometheus cannot reach them", host)
		}
		// The same rules as the local Prometheus.
		local, err := os.ReadFile(filepath.Join(root, "collector-config", "prometheus.yml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"rule_files:\n  - alerts.yml\n", "scrape_interval: 15s", "evaluation_interval: 15s"} {
			if !strings.Contains(string(cfg), want) || !strings.Contains(string(local), want) {
				t.Errorf("prometheus.yml and prometheus-compose.yml do not both have %q", want)
			}
		}
		if !slices.Contains(p.Services["failhop"].Command, "http://prometheus:9090") {
			t.Errorf("failhop's page does not read the prometheus service: %v", p.Services["failhop"].Command)
		}
	})

	t.Run("collector", func(t *testing.T) {
		if collector.Build == nil || collector.Build.Dockerfile != "collector/Dockerfile" {
			t.Fatalf("collector must be built from collector/Dockerfile: %+v", collector.Build)
		}
		if _, err := os.Stat(filepath.Join(root, collector.Build.Dockerfile)); err != nil {
			t.Error(err)
		}
		want := []int{stack.DefaultPorts.CollectorOTLPGRPC, stack.DefaultPorts.CollectorOTLPHTTP}
		if got := published(collector); !slices.Equal(got, want) {
			t.Errorf("published ports %v, want OTLP %v as the local stack", got, want)
		}
		checkTargets(t, collector, map[int]string{
			stack.DefaultPorts.CollectorOTLPGRPC: collectorSetting("COLLECTOR_OTLP_GRPC_ENDPOINT"),
			stack.DefaultPorts.CollectorOTLPHTTP: collectorSetting("COLLECTOR_OTLP_HTTP_ENDPOINT"),
		})
		for _, key := range []string{"COLLECTOR_OTLP_GRPC_ENDPOINT", "COLLECTOR_OTLP_HTTP_ENDPOINT", "COLLECTOR_HEALTH_ENDPOINT"} {
			if host, _, _ := strings.Cut(collectorSetting(key), ":"); host != "0.0.0.0" {
				t.Errorf("%s = %q: the other containers and the host cannot reach it", key, collectorSetting(key))
			}
		}
		checkMountedConfig(t, collector, root, "otelcol.yaml")
		// The collector exports to the port Jaeger listens on, which is
		// jaeger.yaml's default, where the standalone otelcol.yaml
		// exports too.
		jaegerOTLP := jaegerSetting("JAEGER_OTLP_GRPC_PORT")
		if target := env(collector, "JAEGER_OTLP_ENDPOINT"); target != "jaeger:"+jaegerOTLP {
			t.Errorf("collector exports to %q, not to Jaeger's OTLP/gRPC port %s", target, jaegerOTLP)
		}
		if def := jaegerDefaults["JAEGER_OTLP_GRPC_PORT"]; jaegerOTLP != def {
			t.Errorf("Jaeger's OTLP/gRPC port is %s, not jaeger.yaml's default %s", jaegerOTLP, def)
		}
		if def := collectorDefaults["JAEGER_OTLP_ENDPOINT"]; def != "127.0.0.1:"+jaegerDefaults["JAEGER_OTLP_GRPC_PORT"] {
			t.Errorf("otelcol.yaml exports to %s by default, jaeger.yaml listens on %s", def, jaegerDefaults["JAEGER_OTLP_GRPC_PORT"])
		}
		if _, ok := collector.DependsOn["jaeger"]; !ok {
			t.Error("collector does not depend on jaeger")
		}
		storage := env(collector, "FAILHOP_STORAGE_DIR")
		if !slices.ContainsFunc(collector.Volumes, func(v types.ServiceVolumeConfig) bool {
			return v.Type == types.VolumeTypeVolume && strings.HasPrefix(storage, v.Target)
		}) {
			t.Errorf("the persistent queue %q is not on a named volume: a restart would lose it", storage)
		}
	})

	for _, name := range []string{"gateway", "orders", "inventory", "payments", "shipping"} {
		t.Run(name, func(t *testing.T) {
			s := p.Services[name]
			if s.Build == nil || s.Build.Dockerfile != "examples/Dockerfile" || s.Build.Args["SERVICE"] == nil || *s.Build.Args["SERVICE"] != name {
				t.Fatalf("must be built from examples/Dockerfile with SERVICE=%s: %+v", name, s.Build)
			}
			if _, err := os.Stat(filepath.Join(root, "examples", name, "main.go")); err != nil {
				t.Error(err)
			}
			if got := env(s, "OTEL_EXPORTER_OTLP_ENDPOINT"); got != "http://collector:"+strconv.Itoa(stack.DefaultPorts.CollectorOTLPGRPC) {
				t.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT = %q, want the collector", got)
			}
			if _, ok := s.DependsOn["collector"]; !ok {
				t.Error("does not depend on collector")
			}
			// Every peer URL names a service of the file, on the port it listens on.
			for _, key := range []string{"INVENTORY_URL", "ORDERS_URL", "PAYMENTS_URL"} {
				u := env(s, key)
				if u == "" {
					continue
				}
				peer := strings.ToLower(strings.TrimSuffix(key, "_URL"))
				if want := "http://" + peer + env(p.Services[peer], "ADDR"); u != want {
					t.Errorf("%s = %q, want %q", key, u, want)
				}
				if _, ok := s.DependsOn[peer]; !ok {
					t.Errorf("does not depend on %s, which it calls", peer)
				}
			}
			// A gRPC peer is named by host:port.
			if a := env(s, "SHIPPING_ADDR"); a != "" {
				if want := "shipping" + env(p.Services["shipping"], "ADDR"); a != want {
					t.Errorf("SHIPPING_ADDR = %q, want %q", a, want)
				}
				if _, ok := s.DependsOn["shipping"]; !ok {
					t.Error("does not depend on shipping, which it calls")
				}
			}
		})
	}
	if env(p.Services["orders"], "PAYMENTS_API_KEY") != env(p.Services["payments"], "PAYMENTS_API_KEY") {
		t.Error("orders and payments disagree on PAYMENTS_API_KEY: every order would fail")
	}
}

// configDefaults returns the ${env:NAME:-default} settings of a config of
// collector-config/ with their defaults.
func configDefaults(t *testing.T, root, file string) map[string]string {
	t.Helper()
	d, err := stack.ConfigDefaults(filepath.Join(root, "collector-config", file))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkTargets checks that each published port of s maps to the container
// port that s listens on for it (a port, or host:port).
func checkTargets(t *testing.T, s types.ServiceConfig, listens map[int]string) {
	t.Helper()
	for _, p := range s.Ports {
		published, _ := strconv.Atoi(p.Published)
		setting, ok := listens[published]
		if !ok {
			continue // published() reports it
		}
		if i := strings.LastIndexByte(setting, ':'); i >= 0 {
			setting = setting[i+1:]
		}
		if strconv.Itoa(int(p.Target)) != setting {
			t.Errorf("%s publishes %d from container port %d, but listens on %s", s.Name, published, p.Target, setting)
		}
	}
}

// checkMountedConfig checks that a service mounts collector-config/ (or the
// files of it), that its command names each config file inside the mount,
// and that every setting in its environment is one the configs read (or
// GOMEMLIMIT, which the Go runtime reads).
func checkMountedConfig(t *testing.T, s types.ServiceConfig, root string, files ...string) {
	t.Helper()
	dir := filepath.Join(root, "collector-config")
	reads := map[string]bool{}
	for _, file := range files {
		var inContainer string
		for _, v := range s.Volumes {
			switch v.Source {
			case dir:
				inContainer = filepath.Join(v.Target, file)
			case filepath.Join(dir, file):
				inContainer = v.Target
			}
			if v.Type == types.VolumeTypeBind && !v.ReadOnly {
				t.Errorf("config mount %s is writable", v.Source)
			}
		}
		if inContainer == "" {
			t.Fatalf("%s is not mounted from collector-config/", file)
		}
		if !slices.ContainsFunc(s.Command, func(arg string) bool { return arg == inContainer || strings.HasSuffix(arg, "="+inContainer) }) {
			t.Errorf("command %v does not use the mounted %s", s.Command, inContainer)
		}
		maps.Copy(reads, configEnv(t, filepath.Join(dir, file)))
	}
	for key := range s.Environment {
		if !reads[key] && key != "GOMEMLIMIT" {
			t.Errorf("%s sets %s, which %v do not read", s.Name, key, files)
		}
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
