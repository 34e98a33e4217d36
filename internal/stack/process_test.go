package stack

import (
	"os"
	"path/filepath"
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
