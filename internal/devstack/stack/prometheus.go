package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// PrometheusService describes a Prometheus server (bin, such as what
// scripts/prometheus.sh prints) on 127.0.0.1:port that runs
// collector-config/prometheus.yml as shipped, with three things moved as
// the other services' ports are: it scrapes the failure metrics at
// targets (host:port) instead of 127.0.0.1:8889, scrapes and evaluates
// the rules every interval instead of 15 s, and keeps its data in dir. It
// writes that config into dir.
func PrometheusService(root, dir, bin string, port int, targets []string, interval time.Duration) (*Service, error) {
	shipped := filepath.Join(root, "collector-config", "prometheus.yml")
	data, err := os.ReadFile(shipped)
	if err != nil {
		return nil, err
	}
	cfg := string(data)
	for old, new := range map[string]string{
		`targets: ["127.0.0.1:8889"]`: `targets: ["` + strings.Join(targets, `", "`) + `"]`,
		"scrape_interval: 15s":        "scrape_interval: " + interval.String(),
		"evaluation_interval: 15s":    "evaluation_interval: " + interval.String(),
		"  - alerts.yml":              "  - " + filepath.Join(root, "collector-config", "alerts.yml"),
	} {
		if !strings.Contains(cfg, old) {
			return nil, fmt.Errorf("%s no longer has %q: update stack.PrometheusService", shipped, old)
		}
		cfg = strings.Replace(cfg, old, new, 1)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	listen := addr(port)
	return &Service{process{
		Process: Process{
			Name: "prometheus",
			Bin:  bin,
			Args: []string{"--config.file=" + path, "--web.listen-address=" + listen,
				"--storage.tsdb.path=" + filepath.Join(dir, "prometheus-data"), "--enable-feature=exemplar-storage"},
			LogFile: filepath.Join(dir, "prometheus.log"),
			Ready:   []string{"http://" + listen + "/-/ready"},
		},
		listens: []Port{{Port: port, What: "Prometheus", Move: "move it with PROMETHEUS_PORT=..."}},
	}}, nil
}

// PrometheusURL is the address of a PrometheusService on port.
func PrometheusURL(port int) string { return "http://" + addr(port) }
