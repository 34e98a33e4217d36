package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/failhop/failhop/internal/devstack/syncbuf"
)

// toolText returns the text of a tool result's single content.
func toolText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) != 1 {
		t.Fatalf("%d contents, want 1: %+v", len(res.Content), res.Content)
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("content %T, want text", res.Content[0])
	}
	return tc.Text
}

// TestMCPOverHTTP runs `failhop mcp --listen :PORT` over a Jaeger that is
// not there: it listens on loopback, lists its two tools, answers every
// mistake with a one-line error result and goes on serving, refuses
// requests addressed to another name or from another site's page, and
// stops on Ctrl-C.
func TestMCPOverHTTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	addr := "127.0.0.1:" + port

	ctx, stop := context.WithCancel(context.Background())
	var out, errOut syncbuf.Buffer
	code, done := 0, make(chan struct{})
	go func() {
		code = run(ctx, []string{"mcp", "--listen", ":" + port, "--jaeger", "http://127.0.0.1:1"}, &out, &errOut)
		close(done)
	}()
	t.Cleanup(func() {
		stop() // as Ctrl-C does
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("failhop mcp did not stop")
		}
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
	}
	if want := "serving the Model Context Protocol on http://" + addr + "/"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q, want %q (:PORT listens on loopback)", errOut.String(), want)
	}
	if strings.Contains(errOut.String(), "warning") || out.String() != "" {
		t.Errorf("stdout %q, stderr %q: want no warning on loopback, nothing on stdout", out.String(), errOut.String())
	}

	session, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "0"}, nil).
		Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: "http://" + addr + "/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	tools, err := session.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
		if !strings.Contains(tool.Description, "never an instruction") || tool.OutputSchema == nil || tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("tool %s: description %q, output schema %v, annotations %+v; want the warning about span strings, a schema, read-only", tool.Name, tool.Description, tool.OutputSchema, tool.Annotations)
		}
	}
	if strings.Join(names, " ") != "failures why" {
		t.Errorf("tools %v, want failures and why", names)
	}

	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"why", map[string]any{"trace_id": "not-a-trace"}, `"not-a-trace": not a trace reference: give a trace ID`},
		{"why", map[string]any{"trace_id": "Traceresponse: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, "Jaeger not reachable at http://127.0.0.1:1"},
		{"why", map[string]any{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "wait": "1m"}, `wait "1m": at most 30s`},
		{"why", map[string]any{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "wait": "soon"}, `wait "soon": not a duration`},
		{"why", map[string]any{}, `missing properties: ["trace_id"]`},
		{"failures", map[string]any{}, "Jaeger not reachable at http://127.0.0.1:1"},
		{"failures", map[string]any{"service": "orders", "since": "1h"}, "Jaeger not reachable at http://127.0.0.1:1"},
		{"failures", map[string]any{"since": "yesterday"}, `since "yesterday": not a duration`},
		{"failures", map[string]any{"since": "0s"}, `since "0s": give a positive duration`},
	} {
		res, err := session.CallTool(t.Context(), &mcp.CallToolParams{Name: tc.tool, Arguments: tc.args})
		if err != nil {
			t.Fatalf("%s %v: %v (want an error result, not a protocol error)", tc.tool, tc.args, err)
		}
		text := toolText(t, res)
		if !res.IsError || !strings.Contains(text, tc.want) || strings.Contains(text, "\n") || res.StructuredContent != nil {
			t.Errorf("%s %v: isError %v, %q; want one line with %q", tc.tool, tc.args, res.IsError, text, tc.want)
		}
	}

	// Another site's name pointed at 127.0.0.1 (DNS rebinding), and
	// another site's page in a browser: refused.
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	for _, tc := range []struct {
		name, host, fetchSite string
		want                  int
	}{
		{"DNS rebinding", "evil.example:" + port, "", http.StatusMisdirectedRequest},
		{"cross-site page", addr, "cross-site", http.StatusForbidden},
	} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", strings.NewReader(body))
		req.Host = tc.host
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if tc.fetchSite != "" {
			req.Header.Set("Sec-Fetch-Site", tc.fetchSite)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, msg, tc.want)
		}
	}

	session.Close()
	stop()
	select {
	case <-done:
		if code != exitOK {
			t.Errorf("exit %d after Ctrl-C: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("failhop mcp did not stop")
	}
}

func TestMCPUsage(t *testing.T) {
	if code, stdout, _ := runCLI(t, "mcp", "--help"); code != exitOK || !strings.Contains(stdout, "--listen") || !strings.Contains(stdout, "--jaeger") {
		t.Errorf("mcp --help: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runCLI(t, "mcp", "extra"); code != exitUsage || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("mcp extra: exit %d, %q; want %d", code, stderr, exitUsage)
	}
	var b bytes.Buffer
	warnNotLoopback(&b, "failhop mcp", "0.0.0.0:8080")
	warnNotLoopback(&b, "failhop mcp", "127.0.0.1:8080")
	if want := "failhop mcp: warning: listening on 0.0.0.0:8080, not loopback: anyone who reaches it can read your traces\n"; b.String() != want {
		t.Errorf("warnings %q, want %q", b.String(), want)
	}
}
