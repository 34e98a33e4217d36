package render

import "testing"

func TestTrimRecorderFrames(t *testing.T) {
	stack := "goroutine 39 [running]:\n" +
		"go.opentelemetry.io/otel/sdk/trace.recordStackTrace(...)\n\t/sdk/trace/span.go:527\n" +
		"github.com/failhop/failhop/instrument.RecordError({0x1}, {0x2})\n\t/instrument/record.go:187 +0x12d\n" +
		"main.reserve({0x1}, 0x2)\n\t/src/inventory/main.go:37 +0x1ad\n"
	want := "goroutine 39 [running]:\nmain.reserve({0x1}, 0x2)\n\t/src/inventory/main.go:37 +0x1ad\n"
	if got := TrimRecorderFrames(stack); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// A panic recovered by Handler, as the demo's inventory records it.
	panicked := "goroutine 7 [running]:\n" +
		"github.com/failhop/failhop/instrument/internal/request.(*Record).RecordPanic(0x2c1a2f2c2620, {0x11aa660, 0x2c1a2f2f63c0}, {0xf8ba20?, 0x1bab4d0?})\n\t/instrument/internal/request/request.go:362 +0x3b5\n" +
		"github.com/failhop/failhop/instrument.(*exchange).recoverPanic(0x2c1a2f2c2600, {0xf8ba20, 0x1bab4d0}, 0x2c1a2f2dc780)\n\t/instrument/handler.go:224 +0xb4\n" +
		"github.com/failhop/failhop/instrument.(*failureHandler).ServeHTTP.func1()\n\t/instrument/handler.go:82 +0x234\n" +
		"panic({0xf8ba20?, 0x1bab4d0?})\n\t/usr/local/go/src/runtime/panic.go:860 +0x13a\n" +
		"main.labeled(...)\n\t/src/inventory/main.go:173\n"
	if got, want := TrimRecorderFrames(panicked), "goroutine 7 [running]:\nmain.labeled(...)\n\t/src/inventory/main.go:173\n"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := TrimRecorderFrames("not a stack"); got != "not a stack" {
		t.Errorf("changed a non-stack: %q", got)
	}
}
