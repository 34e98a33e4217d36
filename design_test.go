package failhop_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pathLike matches a word that may be a path: segments of letters,
// digits, '_', '.' and '-', separated by slashes.
var pathLike = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$`)

// namedPaths returns the words of text that name a path of the
// repository, whose root holds the entries root: the words with a slash
// whose first segment is one of root (so that html/template or
// POST /charge are not taken for paths), and the words that end in .go (a
// Go file is named from the root, not by its name alone). A link's anchor
// (docs/pipeline.md#ports) is left out.
func namedPaths(text string, root []string) []string {
	var out []string
	separator := func(r rune) bool { return strings.ContainsRune(" \t\n`()[],;:'\"|*<>", r) }
	for _, w := range strings.FieldsFunc(text, separator) {
		w, _, _ = strings.Cut(w, "#")
		w = strings.TrimRight(w, ".")
		if !pathLike.MatchString(w) {
			continue
		}
		first, _, nested := strings.Cut(w, "/")
		if (nested && slices.Contains(root, first)) || strings.HasSuffix(w, ".go") {
			out = append(out, w)
		}
	}
	return out
}

// TestDesignPathsExist checks that every path docs/design.md names is in
// the repository.
func TestDesignPathsExist(t *testing.T) {
	doc, err := os.ReadFile("docs/design.md")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var root []string
	for _, e := range entries {
		root = append(root, e.Name())
	}
	paths := namedPaths(string(doc), root)
	if len(paths) < 20 {
		t.Fatalf("found only %d paths in docs/design.md: %q", len(paths), paths)
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("docs/design.md names %s, which is not in the repository (name files from its root)", p)
		}
	}
}

// TestNamedPaths checks what counts as a path on the forms design.md
// uses.
func TestNamedPaths(t *testing.T) {
	text := "| a cause | `vocab/vocab.go` (the list), docs/cli.md; `html/template`, `GET /items/{id}`, " +
		"`webui.go` the routes, docs/pipeline.md#ports, `replace github.com/failhop/failhop => ../..`, (`collector/`)."
	got := namedPaths(text, []string{"vocab", "docs", "collector", "README.md"})
	want := []string{"vocab/vocab.go", "docs/cli.md", "webui.go", "docs/pipeline.md", "collector/"}
	if !slices.Equal(got, want) {
		t.Errorf("namedPaths = %q, want %q", got, want)
	}
}
