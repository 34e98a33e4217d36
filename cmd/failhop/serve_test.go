package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/internal/devstack/syncbuf"
)

// TestServe starts `failhop serve` on a free port, reads its front page
// and health check, and stops it as Ctrl-C would; a taken port is named
// with the flag that moves it.
func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, stop := context.WithCancel(t.Context())
	var out, errOut syncbuf.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr, "--jaeger", "http://127.0.0.1:1"}, &out, &errOut)
	}()
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		break
	}
	if !strings.Contains(body, "Jaeger cannot be read") {
		t.Errorf("front page with Jaeger down:\n%s", body)
	}
	if !strings.Contains(out.String(), "http://"+addr+"/") {
		t.Errorf("does not print its URL: %q", out.String())
	}

	// A second one on the same port: one line naming the flag.
	code, _, stderr := runCLI(t, "serve", "--listen", addr)
	if code != exitFailed || !strings.Contains(stderr, "address already in use") || !strings.Contains(stderr, "--listen") {
		t.Errorf("taken port: exit %d, %q", code, stderr)
	}

	stop()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after Ctrl-C: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if code, _, _ := runCLI(t, "serve", "extra"); code != exitUsage {
		t.Errorf("an operand: exit %d, want %d", code, exitUsage)
	}
}
