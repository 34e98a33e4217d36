package gomemlimit

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/failhop/failhop/collector/internal/cgrouptest"
)

// TestMain runs this test binary as the child of TestLimitFromCgroup when
// asked: it starts the extension and prints the runtime's soft limit.
func TestMain(m *testing.M) {
	if os.Getenv("GOMEMLIMIT_TEST_CHILD") == "1" {
		ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), NewFactory().CreateDefaultConfig())
		if err == nil {
			err = ext.Start(context.Background(), componenttest.NewNopHost())
		}
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(debug.SetMemoryLimit(-1))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestLimitFromCgroup starts the extension in a process of a cgroup limited
// to 256 MiB: the runtime's soft limit is 80% of it, unless GOMEMLIMIT or
// AUTOMEMLIMIT says otherwise.
func TestLimitFromCgroup(t *testing.T) {
	g := cgrouptest.New(t, 256<<20)
	for _, c := range []struct {
		env  string
		want int64
	}{
		{"", 256 << 20 * 8 / 10},
		{"AUTOMEMLIMIT=0.5", 128 << 20},
		{"GOMEMLIMIT=100MiB", 100 << 20},
	} {
		bin, args := g.Command(os.Args[0])
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "GOMEMLIMIT_TEST_CHILD=1", c.env)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.env, err, out)
		}
		got, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if err != nil || got != c.want {
			t.Errorf("%q: the runtime's soft limit is %s, want %d", c.env, out, c.want)
		}
	}
}

// TestNoCgroupLimit: outside a cgroup with a limit, Start changes nothing
// and Shutdown restores what it found.
func TestNoCgroupLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), NewFactory().CreateDefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	if err := ext.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after := debug.SetMemoryLimit(-1); after != before {
		t.Errorf("the runtime's soft limit is %d after Shutdown, was %d", after, before)
	}
}

func TestConfigValidate(t *testing.T) {
	for ratio, ok := range map[float64]bool{0.8: true, 1: true, 0: false, 1.5: false, -0.1: false, math.NaN(): false} {
		if err := (&Config{Ratio: ratio}).Validate(); (err == nil) != ok {
			t.Errorf("ratio %v: Validate() = %v", ratio, err)
		}
	}
}
