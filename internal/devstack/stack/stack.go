package stack

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Ports are the loopback ports of a stack. A zero port asks for a free one
// (see WithFreePorts); DefaultPorts are the well-known ones a user expects,
// and PortsFromEnv the ones the user asked for.
type Ports struct {
	JaegerQuery, JaegerQueryGRPC, JaegerOTLPGRPC, JaegerOTLPHTTP, JaegerHealth int
	CollectorOTLPGRPC, CollectorOTLPHTTP, CollectorHealth                      int
	// CollectorMetrics is only listened on when COLLECTOR_METRICS_LEVEL is
	// not none (the configs' default).
	CollectorMetrics int
	// FailureMetrics is where the collector serves the failure metrics
	// (failhop_metrics, /metrics) that Prometheus scrapes.
	FailureMetrics int
}

// DefaultPorts are the defaults of collector-config/jaeger.yaml and
// otelcol.yaml (TestDefaultPortsAreTheConfigs checks it): Jaeger's UI and
// API on 16686, the collector on the standard OTLP ports, so that services
// need no configuration, and Jaeger's receivers off them, where the
// collector exports.
var DefaultPorts = Ports{
	JaegerQuery: 16686, JaegerQueryGRPC: 16685, JaegerOTLPGRPC: 14317, JaegerOTLPHTTP: 14318, JaegerHealth: 14269,
	CollectorOTLPGRPC: 4317, CollectorOTLPHTTP: 4318, CollectorHealth: 13133, CollectorMetrics: 8888,
	FailureMetrics: 8889,
}

// WithFreePorts returns p with every zero port replaced by a free one.
func (p Ports) WithFreePorts() (Ports, error) {
	free, err := FreePorts(len(portSettings))
	if err != nil {
		return p, err
	}
	for i, s := range portSettings {
		if f := s.field(&p); *f == 0 {
			*f = free[i]
		}
	}
	return p, nil
}

// Config says how to run a stack.
type Config struct {
	// Root is the repository root (bin/ and collector-config/); empty means
	// found from the working directory.
	Root string
	// Dir holds the logs and the collector's persistent queue; it is
	// created if needed.
	Dir string
	// Ports; zero ones are chosen free.
	Ports Ports
	// CollectorConfig is the collector's config file, relative to
	// collector-config/; empty means otelcol.yaml.
	CollectorConfig string
	// JaegerOverlays are config files of collector-config/ merged over
	// jaeger.yaml, such as "jaeger-badger.yaml" for a store that survives
	// restarts.
	JaegerOverlays []string
	// CollectorEnv adds settings to the collector's environment, such as
	// FAILHOP_SAMPLE_PERCENT=100 or FAILHOP_DECISION_WAIT=1s.
	CollectorEnv []string
	// Progress receives one line per step; nil means silence.
	Progress io.Writer
	// AlsoCheck are more ports that must be free before anything starts
	// (the demo's shop), checked with the stack's own.
	AlsoCheck []Port
	// MoveAlso is added to the advice on how to move a taken port of the
	// stack, such as "or every port with DEMO_FREE_PORTS=1".
	MoveAlso string
}

// Stack is a running Jaeger and collector.
type Stack struct {
	Jaeger    *Service
	Collector *Service

	// JaegerURL is the query API and UI.
	JaegerURL string
	// OTLPGRPCEndpoint and OTLPHTTPEndpoint are where services send
	// traces (host:port): the collector.
	OTLPGRPCEndpoint, OTLPHTTPEndpoint string
	// MetricsURL is the collector's failure metrics, for Prometheus.
	MetricsURL string

	progress io.Writer
}

// Service is a child process: one of the stack, or any Process.
type Service struct {
	process
}

// NewService returns a Service that runs p the way the stack runs its
// own processes: its output appended to p.LogFile, in its own process
// group, ready once every URL of p.Ready answers 200 from it, stopped with
// SIGTERM. It starts nothing.
func NewService(p Process) *Service { return &Service{process{Process: p}} }

// Stop stops the service gracefully (it flushes what it holds).
func (s *Service) Stop() { s.stop() }

// Kill stops the service at once, as a crash would.
func (s *Service) Kill() { s.kill() }

// Start starts the service again, with the same ports and settings.
func (s *Service) Start(ctx context.Context) error { return s.start(ctx) }

// Running reports whether the service is up.
func (s *Service) Running() bool { return s.running() }

// LogFile is where the service's output goes.
func (s *Service) LogFile() string { return s.Process.LogFile }

// PID is the process's id, 0 before its first start.
func (s *Service) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Listens returns the ports the service listens on.
func (s *Service) Listens() []Port { return s.listens }

// Start starts Jaeger, then the collector exporting to it, and waits until
// both are ready. Before it starts anything, it checks that every port
// they will listen on (and cfg.AlsoCheck) is free: if not, the error is a
// PortsInUseError and nothing was started. On error, whatever was started
// is stopped.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	root := cfg.Root
	if root == "" {
		var err error
		if root, err = RepoRoot(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	ports, err := cfg.Ports.WithFreePorts()
	if err != nil {
		return nil, err
	}
	s := &Stack{
		JaegerURL:        "http://" + addr(ports.JaegerQuery),
		OTLPGRPCEndpoint: addr(ports.CollectorOTLPGRPC),
		OTLPHTTPEndpoint: addr(ports.CollectorOTLPHTTP),
		MetricsURL:       "http://" + addr(ports.FailureMetrics) + "/metrics",
		progress:         cfg.Progress,
	}
	for _, bin := range []string{"jaeger", "failhop-collector"} {
		if _, err := os.Stat(filepath.Join(root, "bin", bin)); err != nil {
			return nil, fmt.Errorf("bin/%s is missing: run `make bin/%s` first", bin, bin)
		}
	}
	s.Jaeger = JaegerService(root, cfg.Dir, ports, cfg.JaegerOverlays...)
	s.Collector = CollectorService(root, cfg.Dir, cfg.CollectorConfig, ports, cfg.CollectorEnv)
	var check []Port
	for _, p := range append(slices.Clone(s.Jaeger.listens), s.Collector.listens...) {
		if cfg.MoveAlso != "" {
			p.Move += ", " + cfg.MoveAlso
		}
		check = append(check, p)
	}
	if err := CheckPorts(append(check, cfg.AlsoCheck...)); err != nil {
		return nil, err
	}

	s.say("starting Jaeger (query API and UI on %s, log %s)...", s.JaegerURL, s.Jaeger.LogFile())
	if err := s.Jaeger.start(ctx); err != nil {
		return nil, err
	}
	s.say("starting failhop-collector (OTLP on %s gRPC and %s HTTP, log %s)...", s.OTLPGRPCEndpoint, s.OTLPHTTPEndpoint, s.Collector.LogFile())
	if err := s.Collector.start(ctx); err != nil {
		s.Jaeger.stop()
		return nil, err
	}
	s.say("stack ready")
	return s, nil
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// JaegerService describes bin/jaeger with collector-config/jaeger.yaml,
// merged with the overlays named (such as "jaeger-badger.yaml"), on the
// given ports (none may be zero), logging into dir (Badger's files too).
//
// A port that is the config's default is not passed: Jaeger on
// DefaultPorts runs on jaeger.yaml alone. The settings of the caller's
// environment that the stack decides (the ports, JAEGER_HOST) are not
// inherited.
func JaegerService(root, dir string, p Ports, overlays ...string) *Service {
	var args, files []string
	for _, c := range append([]string{"jaeger.yaml"}, overlays...) {
		files = append(files, filepath.Join(root, "collector-config", c))
		args = append(args, "--config", files[len(files)-1])
	}
	defaults, _ := ConfigDefaults(files...)
	env := &childEnv{defaults: defaults}
	env.setting("JAEGER_HOST", "127.0.0.1")
	var listens []Port
	for _, s := range portSettings {
		if strings.HasPrefix(s.env, "JAEGER_") {
			env.setting(s.env, s.value(*s.field(&p)))
			listens = append(listens, s.port(p))
		}
	}
	env.force(
		"JAEGER_BADGER_DIR="+filepath.Join(dir, "jaeger-badger"),
		// No SDK inside Jaeger exports its own spans, whatever the
		// caller's environment says.
		"OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none",
	)
	return &Service{process{
		Process: Process{
			Name:    "jaeger",
			Bin:     filepath.Join(root, "bin", "jaeger"),
			Args:    args,
			Env:     env.environ(),
			LogFile: filepath.Join(dir, "jaeger.log"),
			Ready:   []string{"http://" + addr(p.JaegerHealth) + "/", "http://" + addr(p.JaegerQuery) + "/api/services"},
		},
		listens: listens,
	}}
}

// CollectorService describes bin/failhop-collector with the config file
// config (a path, or a name in collector-config/; otelcol.yaml if empty),
// receiving on the collector ports of p and exporting to Jaeger's OTLP/gRPC
// port of p, with its persistent queue and log in dir. env adds settings,
// and overrides the ones above.
//
// As for Jaeger, a setting that is the config's default is not passed, and
// the caller's own values of the settings above are not inherited. The
// metrics port (p.CollectorMetrics, if not zero) is listened on only when
// COLLECTOR_METRICS_LEVEL (env, else the caller's environment) is not none.
func CollectorService(root, dir, config string, p Ports, env []string) *Service {
	if config == "" {
		config = "otelcol.yaml"
	}
	if !filepath.IsAbs(config) {
		config = filepath.Join(root, "collector-config", config)
	}
	defaults, _ := ConfigDefaults(config)
	ce := &childEnv{defaults: defaults}
	var listens []Port
	for _, s := range portSettings {
		if !s.collectorSetting() || *s.field(&p) == 0 {
			continue
		}
		ce.setting(s.env, s.value(*s.field(&p)))
		if _, reads := defaults[s.env]; reads || defaults == nil {
			if s.env != "COLLECTOR_METRICS_PORT" || metricsOn(env) {
				listens = append(listens, s.port(p))
			}
		}
	}
	ce.setting("JAEGER_OTLP_ENDPOINT", addr(p.JaegerOTLPGRPC))
	ce.force(
		"FAILHOP_STORAGE_DIR="+filepath.Join(dir, "collector-queue"),
		"OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none",
	)
	ce.force(env...)
	return &Service{process{
		Process: Process{
			Name:    "failhop-collector",
			Bin:     filepath.Join(root, "bin", "failhop-collector"),
			Args:    []string{"--config", config},
			Env:     ce.environ(),
			LogFile: filepath.Join(dir, "collector.log"),
			Ready:   []string{"http://" + addr(p.CollectorHealth) + "/"},
		},
		listens: listens,
	}}
}

// metricsOn reports whether the collector serves its metrics:
// COLLECTOR_METRICS_LEVEL, from env or else our environment, is set and not
// none.
func metricsOn(env []string) bool {
	level := os.Getenv("COLLECTOR_METRICS_LEVEL")
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "COLLECTOR_METRICS_LEVEL="); ok {
			level = v
		}
	}
	return level != "" && level != "none"
}

// Close stops the collector first (it flushes to Jaeger), then Jaeger.
func (s *Stack) Close() {
	s.say("stopping failhop-collector...")
	s.Collector.stop()
	s.say("stopping Jaeger...")
	s.Jaeger.stop()
}

func (s *Stack) say(format string, args ...any) {
	if s.progress != nil {
		fmt.Fprintf(s.progress, "stack: "+format+"\n", args...)
	}
}
