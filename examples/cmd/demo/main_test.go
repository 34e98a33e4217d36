package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/failhop/failhop/examples/internal/shop"
	"github.com/failhop/failhop/jaeger"
)

// TestScenarios runs every scenario through a real Jaeger (bin/jaeger of
// the repository, started on free ports) and checks the analyzer's
// answers: the failing hop, its cause and version.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	bin, err := filepath.Abs("../../../bin/jaeger")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no Jaeger at %s (make jaeger builds it)", bin)
	}
	ports := map[string]int{}
	for _, name := range []string{"JAEGER_OTLP_GRPC_PORT", "JAEGER_OTLP_HTTP_PORT", "JAEGER_QUERY_PORT", "JAEGER_QUERY_GRPC_PORT", "JAEGER_HEALTH_PORT"} {
		ports[name] = freePort(t)
	}
	cmd := exec.Command(bin, "--config", "../../../collector-config/jaeger.yaml")
	cmd.Env = append(os.Environ(), "JAEGER_LOG_LEVEL=warn")
	for k, v := range ports {
		cmd.Env = append(cmd.Env, k+"="+strconv.Itoa(v))
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	queryURL := "http://127.0.0.1:" + strconv.Itoa(ports["JAEGER_QUERY_PORT"])
	waitUp(t, queryURL)

	ctx := context.Background()
	s, err := shop.Start(ctx, shop.Config{
		FreePorts:    true,
		BinDir:       t.TempDir(),
		OTLPEndpoint: "http://127.0.0.1:" + strconv.Itoa(ports["JAEGER_OTLP_GRPC_PORT"]),
		DatabaseURL:  os.Getenv("FAILHOP_TEST_POSTGRES_DSN"),
		SchemaPrefix: "demotest_",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	r := &runner{shop: s, jaeger: jaeger.New(queryURL), jaegerURL: queryURL}
	for _, sc := range shop.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			if err := r.run(ctx, sc); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitUp(t *testing.T, url string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/api/services"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Jaeger not up at %s", url)
}
