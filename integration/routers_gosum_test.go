package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The routers, by their module paths' prefixes.
var routerModules = map[string]string{
	"chi":  "github.com/go-chi/chi/",
	"mux":  "github.com/gorilla/mux ",
	"gin":  "github.com/gin-gonic/gin ",
	"echo": "github.com/labstack/echo/",
}

// TestNoRouterDownloaded checks, as a user's module sees it (go mod tidy
// in a module of its own beside this repository), that a service
// importing package instrument downloads no router, and one importing a
// router adapter downloads that router only: its go.sum lists no other.
func TestNoRouterDownloaded(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go is not on PATH")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ pkg, router string }{
		{"instrument", ""},
		{"instrument/instrumentchi", "chi"},
		{"instrument/instrumentmux", "mux"},
		{"instrument/instrumentgin", "gin"},
		{"instrument/instrumentecho", "echo"},
	} {
		t.Run(tt.pkg, func(t *testing.T) {
			sum := tidy(t, goCmd, root, tt.pkg)
			if !hasModule(sum, "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp ") {
				t.Fatalf("go.sum lacks otelhttp, which instrument requires:\n%s", sum)
			}
			for router, module := range routerModules {
				if has := hasModule(sum, module); has != (router == tt.router) {
					t.Errorf("a module importing %s: %s in its go.sum: %v", tt.pkg, router, has)
				}
			}
		})
	}
}

// hasModule reports whether a line of go.sum starts with prefix.
func hasModule(sum, prefix string) bool {
	for line := range strings.Lines(sum) {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

// tidy makes a module importing failhop's package pkg (a path under the
// repository root), replaced by the working tree as the README says, runs
// go mod tidy in it and returns its go.sum.
func tidy(t *testing.T, goCmd, root, pkg string) string {
	t.Helper()
	dir := t.TempDir()
	modFile := "module example.com/shop\n\ngo 1.26.0\n\nreplace github.com/failhop/failhop => " + root + "\n"
	if pkg != "instrument" { // a module of its own
		modFile += "\nreplace github.com/failhop/failhop/" + pkg + " => " + filepath.Join(root, pkg) + "\n"
	}
	mainFile := "package main\n\nimport _ \"github.com/failhop/failhop/" + pkg + "\"\n\nfunc main() {}\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(modFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(mainFile), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goCmd, "mod", "tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	return string(sum)
}
