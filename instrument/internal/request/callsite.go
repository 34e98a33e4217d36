package request

import (
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// FailCall marks span, the span of an outbound call (HTTP, SQL, gRPC),
// as the origin of err, as FailOrigin does, and records where in the
// service's code the call was made (MarkCallSite, which skips the frames
// of library too). Call it on the goroutine that made the call.
func FailCall(ctx context.Context, span trace.Span, cause vocab.Cause, err error, library ...string) {
	MarkCallSite(span, library...)
	FailOrigin(ctx, span, cause, err)
}

// MarkCallSite records on span the first frame of the calling goroutine's
// stack that is the service's own code (see callSite): code.function.name,
// code.file.path and code.line.number. A stack recorded by RecordError
// starts where the error was handled, often a helper; this is the line
// that made the failing call. Nothing is recorded when no frame is the
// service's. library lists the package path prefixes of a library whose
// hooks called the wrapper (pgx's tracer, go-redis's hooks): its frames
// stand between the service's call and the wrapper, and are skipped as
// the wrappers' own are.
func MarkCallSite(span trace.Span, library ...string) {
	var pcs [48]uintptr
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs[:])])
	for {
		f, more := frames.Next()
		if ownCode(f.Function, library) {
			span.SetAttributes(semconv.CodeFunctionName(f.Function), semconv.CodeFilePath(f.File), semconv.CodeLineNumber(f.Line))
			return
		}
		if !more {
			return
		}
	}
}

// wrapperPackages are the packages between a service's call and the
// wrapper's span: failhop's wrappers and the libraries they wrap.
var wrapperPackages = []string{
	"github.com/failhop/failhop/instrument",
	"go.opentelemetry.io/",
	"google.golang.org/grpc",
}

// mainModule is the path of the program's main module ("" if unknown).
var mainModule = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Path
	}
	return ""
})

// ownCode reports whether the function fn (as runtime.Frame names it)
// belongs to the service rather than to the standard library or the
// wrappers: package main, the main module, or a module whose path starts
// with a domain (github.com/...). A standard library path has no dot in
// its first element. The packages of library are not the service's.
func ownCode(fn string, library []string) bool {
	pkg := packageOf(fn)
	for _, w := range wrapperPackages {
		if strings.HasPrefix(pkg, w) {
			return false
		}
	}
	for _, w := range library {
		if strings.HasPrefix(pkg, w) {
			return false
		}
	}
	if m := mainModule(); pkg == "main" || m != "" && (pkg == m || strings.HasPrefix(pkg, m+"/")) {
		return true
	}
	first, _, _ := strings.Cut(pkg, "/")
	return strings.Contains(first, ".")
}

// packageOf returns the package path of a function name such as
// "net/http.(*Client).Do" or "main.main.func1".
func packageOf(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}
