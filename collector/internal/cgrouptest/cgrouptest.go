// Package cgrouptest runs test processes in a memory cgroup of their own
// with a limit, as a container runtime does, and reads what the kernel
// did to them. It needs root and a memory controller (cgroup v1 or v2);
// without them the test is skipped with the reason.
package cgrouptest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Group is a memory cgroup made for one test.
type Group struct {
	Dir string
	v2  bool
}

// New makes a memory cgroup limited to limit bytes (no swap), removed when
// t ends, or skips t saying why it cannot.
func New(t testing.TB, limit int64) *Group {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a memory cgroup (CI runs as root)")
	}
	g, err := newGroup(t.Name(), limit)
	if err != nil {
		t.Skipf("no memory cgroup: %v", err)
	}
	t.Cleanup(func() { g.remove() })
	return g
}

func newGroup(name string, limit int64) (*Group, error) {
	name = "failhop-" + strings.NewReplacer("/", "-", " ", "-").Replace(name) + "-" + strconv.Itoa(os.Getpid())
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err == nil {
		g := &Group{Dir: filepath.Join("/sys/fs/cgroup/memory", name)}
		// memsw (memory and swap) only where swap accounting is on.
		return g, g.create([][2]string{{"memory.limit_in_bytes", strconv.FormatInt(limit, 10)}, {"memory.memsw.limit_in_bytes", strconv.FormatInt(limit, 10)}})
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		return nil, errors.New("neither cgroup v1's memory controller nor cgroup v2 is mounted at /sys/fs/cgroup")
	}
	_ = os.WriteFile("/sys/fs/cgroup/cgroup.subtree_control", []byte("+memory"), 0)
	g := &Group{Dir: filepath.Join("/sys/fs/cgroup", name), v2: true}
	return g, g.create([][2]string{{"memory.max", strconv.FormatInt(limit, 10)}, {"memory.swap.max", "0"}})
}

// create makes the cgroup with its settings, in order; a swap setting the
// kernel does not offer (no swap accounting) is skipped.
func (g *Group) create(settings [][2]string) error {
	if err := os.Mkdir(g.Dir, 0o755); err != nil {
		return err
	}
	for _, setting := range settings {
		file, value := setting[0], setting[1]
		if err := os.WriteFile(filepath.Join(g.Dir, file), []byte(value), 0); err != nil && !strings.Contains(file, "sw") {
			g.remove()
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	return nil
}

// remove deletes the cgroup once its processes have gone (they are the
// test's, stopped by its own cleanups first).
func (g *Group) remove() {
	for range 50 {
		if os.Remove(g.Dir) == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Command returns the program and arguments that run bin with args inside
// the cgroup from its first instruction: a shell joins it, then execs bin
// in its place (same pid).
func (g *Group) Command(bin string, args ...string) (string, []string) {
	return "/bin/sh", append([]string{"-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, g.Dir, bin}, args...)
}

// OOMKills is how many processes of the cgroup the kernel's OOM killer
// has killed.
func (g *Group) OOMKills() int {
	file := "memory.oom_control"
	if g.v2 {
		file = "memory.events"
	}
	return g.stat(file, "oom_kill")
}

// PeakBytes is the most memory the cgroup's processes used at once, or 0
// where the kernel does not say (cgroup v2 before Linux 5.19).
func (g *Group) PeakBytes() int64 {
	file := "memory.max_usage_in_bytes"
	if g.v2 {
		file = "memory.peak"
	}
	b, _ := os.ReadFile(filepath.Join(g.Dir, file))
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// stat reads the value of key in a flat keyed file of the cgroup.
func (g *Group) stat(file, key string) int {
	f, err := os.Open(filepath.Join(g.Dir, file))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), " "); ok && k == key {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}
