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
	if got := TrimRecorderFrames("not a stack"); got != "not a stack" {
		t.Errorf("changed a non-stack: %q", got)
	}
}
