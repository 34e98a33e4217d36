package stack

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "collector-config", "jaeger.yaml")); err != nil {
		t.Errorf("root %s: %v", root, err)
	}
}

// A service stops on SIGTERM with a clean exit, and starts again on the
// same ports.
func TestServiceStopAndRestart(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ports, err := Ports{}.WithFreePorts()
	if err != nil {
		t.Fatal(err)
	}
	j := JaegerService(root, t.TempDir(), ports)
	if err := j.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.Stop)
	j.Stop()
	if ws, ok := j.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signaled() || ws.ExitStatus() != 0 {
		t.Errorf("Jaeger did not exit cleanly on SIGTERM: %v", j.cmd.ProcessState)
	}
	if err := j.Start(t.Context()); err != nil {
		t.Fatalf("restart on the same ports: %v", err)
	}
	if !j.Running() {
		t.Error("not running after restart")
	}
}

// A second Jaeger on the ports of a running one is not ready because the
// first one answers its readiness probe: it fails, with its log's last
// lines, and the first one is untouched.
func TestReadyMeansOurProcess(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ports, err := Ports{}.WithFreePorts()
	if err != nil {
		t.Fatal(err)
	}
	first := JaegerService(root, t.TempDir(), ports)
	if err := first.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(first.Stop)

	second := JaegerService(root, t.TempDir(), ports)
	err = second.Start(t.Context())
	t.Cleanup(second.Stop)
	if err == nil {
		t.Fatalf("a second Jaeger on the same ports is ready (pid %d, the first is %d)", second.PID(), first.PID())
	}
	if !strings.Contains(err.Error(), "exited at start") || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("error does not say that it exited, with its log:\n%v", err)
	}
	if !first.Running() {
		t.Fatal("the first Jaeger stopped")
	}
	if runtime.GOOS == "linux" {
		if held, _ := HeldBy(ports.JaegerQuery, first.PID()); !held {
			t.Errorf("the first Jaeger (pid %d) no longer holds its port: %s", first.PID(), Holder(ports.JaegerQuery))
		}
	}
}
