package instrument

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// backendEnv makes the test binary run as the backend service of
// TestOriginAcrossProcesses instead of running tests.
const backendEnv = "FAILHOP_TEST_BACKEND"

func TestMain(m *testing.M) {
	if os.Getenv(backendEnv) == "1" {
		runBackend()
		return
	}
	os.Exit(m.Run())
}

// backendSpan is what the backend process reports of a span it ended.
type backendSpan struct {
	Name   string `json:"name"`
	SpanID string `json:"span_id"`
	Origin bool   `json:"origin"`
	Cause  string `json:"cause"`
}

// runBackend serves /db (a failing child span) and /panic behind Handler,
// and /spans, the spans it recorded. It prints its address on stdout.
func runBackend() {
	sr := tracetest.NewSpanRecorder()
	rec := &recorder{SpanRecorder: sr, tp: newTracerProvider(sr)}
	mux := http.NewServeMux()
	mux.HandleFunc("/db", func(w http.ResponseWriter, r *http.Request) {
		ctx, span := rec.tp.Tracer("backend").Start(r.Context(), "SELECT stock")
		RecordError(ctx, MarkCause(errors.New(`column "qty" does not exist`), vocab.CauseDBError))
		span.End()
		w.WriteHeader(http.StatusInternalServerError)
	})
	mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic("nil pointer") })
	spans := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var out []backendSpan
		for _, s := range sr.Ended() {
			a := attrs(s)
			out = append(out, backendSpan{s.Name(), s.SpanContext().SpanID().String(), a[vocab.KeyOrigin].AsBool(), a[vocab.KeyCause].AsString()})
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	root := http.NewServeMux()
	root.Handle("/spans", spans)
	root.Handle("/", Handler(mux, "backend", rec.options()...))
	_ = http.Serve(ln, root)
}

// TestOriginAcrossProcesses calls a backend in another process through
// Transport and checks that the client span names the backend's origin span
// and cause, as reported by its Failhop-Error header.
func TestOriginAcrossProcesses(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), backendEnv+"=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("backend did not start: %v", err)
	}
	backend := "http://" + strings.TrimSpace(addr)

	tests := []struct {
		path      string
		wantCause vocab.Cause
	}{
		{"/db", vocab.CauseDBError},
		{"/panic", vocab.CausePanic},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := newRecorder(t)
			client := &http.Client{Transport: Transport(nil, rec.options()...)}
			resp, err := client.Get(backend + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()

			var spans []backendSpan
			resp, err = http.Get(backend + "/spans")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(&spans); err != nil {
				t.Fatal(err)
			}
			var origin string
			for _, s := range spans {
				if s.Origin && s.Cause == string(tt.wantCause) {
					origin = s.SpanID
				}
			}
			if origin == "" {
				t.Fatalf("backend has no %s origin span: %+v", tt.wantCause, spans)
			}
			checkMarks(t, rec.span(t, trace.SpanKindClient), marks{propagated: true, cause: tt.wantCause, originSpanID: origin, errorType: "500"})
		})
	}
}
