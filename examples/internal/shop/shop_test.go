package shop_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/examples/internal/shop"
)

// TestScenarios runs every scenario against a shop of real processes and
// checks what the user of the gateway gets. The trace-level answers are
// checked by cmd/demo, against Jaeger.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Run("sqlite", func(t *testing.T) { runScenarios(t, "") })
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("FAILHOP_TEST_POSTGRES_DSN")
		if dsn == "" {
			t.Skip("FAILHOP_TEST_POSTGRES_DSN not set (scripts/postgres.sh prints one)")
		}
		runScenarios(t, dsn)
	})
}

func runScenarios(t *testing.T, dsn string) {
	ctx := context.Background()
	s, err := shop.Start(ctx, shop.Config{
		FreePorts:    true,
		DatabaseURL:  dsn,
		SchemaPrefix: "shoptest_",
		BinDir:       t.TempDir(),
		Env:          noExport(),
		Progress:     testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	for _, sc := range shop.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			if sc.Break != nil {
				if err := sc.Break(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			defer func() {
				if sc.Fix != nil {
					if err := sc.Fix(ctx, s); err != nil {
						t.Fatal(err)
					}
				}
			}()
			status, hdr, body := checkout(t, s, sc.Item)
			if status != sc.WantStatus {
				t.Fatalf("status %d, want %d; body:\n%s", status, sc.WantStatus, body)
			}
			if status == http.StatusOK {
				if !strings.Contains(body, `"order_id":"ord_`) {
					t.Errorf("no order in %s", body)
				}
				return
			}
			checkSafePage(t, hdr, body)
		})
	}
}

func checkout(t *testing.T, s *shop.Shop, item int) (int, http.Header, string) {
	t.Helper()
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Get(s.URL("gateway") + "/checkout?item=" + strconv.Itoa(item))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

var traceResponse = regexp.MustCompile(`^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$`)

// checkSafePage checks that a 5xx shows the user a reference to quote and
// nothing of the shop's insides.
func checkSafePage(t *testing.T, hdr http.Header, body string) {
	t.Helper()
	m := traceResponse.FindStringSubmatch(hdr.Get("Traceresponse"))
	if m == nil {
		t.Fatalf("Traceresponse header %q, want 00-<trace id>-<span id>-<flags>", hdr.Get("Traceresponse"))
	}
	if !strings.Contains(body, m[1]) {
		t.Errorf("the page does not show the trace ID %s:\n%s", m[1], body)
	}
	if v := hdr.Get("Failhop-Error"); v != "" {
		t.Errorf("internal header Failhop-Error leaked: %q", v)
	}
	low := strings.ToLower(body)
	for _, leak := range []string{
		"select", "sqlite", "postgres", "database", "column", "panic", "goroutine", ".go:",
		"inventory", "orders", "payments", "127.0.0.1", "unauthorized", "charge", "nil map",
	} {
		if strings.Contains(low, leak) {
			t.Errorf("the page leaks %q:\n%s", leak, body)
		}
	}
}

// noExport is the services' settings for a shop without a collector:
// spans are made (the trace IDs exist) but not exported, neither to the
// collector of a test running alongside nor, when there is none, in
// retries that hold up every stop.
func noExport() map[string][]string {
	env := map[string][]string{}
	for _, name := range shop.Services {
		env[name] = []string{"OTEL_TRACES_EXPORTER=none"}
	}
	return env
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// A service is healthy only if its own process answers: a service that
// cannot listen because another process holds its port, which answers
// /healthz, is an error with the service's log, not a shop running against
// someone else's server.
func TestHealthyMeansOurProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx := context.Background()
	s, err := shop.Start(ctx, shop.Config{FreePorts: true, BinDir: t.TempDir(), Progress: testWriter{t}, Env: noExport()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	if err := s.Stop("payments"); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.URL("payments"), "http://")
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot take payments' port back: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })}
	go srv.Serve(l)
	defer srv.Close()

	err = s.Restart(ctx, "payments")
	if err == nil {
		t.Fatal("payments is \"healthy\" while another process holds its port")
	}
	if !strings.Contains(err.Error(), "payments (pid ") || !strings.Contains(err.Error(), "exited at start") ||
		!strings.Contains(err.Error(), "address already in use") {
		t.Errorf("the error does not say that payments exited, with its log's end:\n%v", err)
	}
	if runtime.GOOS == "linux" {
		if holder := fmt.Sprintf("is in use by pid %d", os.Getpid()); !strings.Contains(err.Error(), holder) {
			t.Errorf("the error does not name the port's holder (%q):\n%v", holder, err)
		}
	}
	t.Logf("as expected: %v", err)
}
