package vocab

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryCauseHasAHint: the table of hints and the list of causes are
// the same set, and no hint is the generic one.
func TestEveryCauseHasAHint(t *testing.T) {
	generic := Cause("no such cause").Hint()
	for _, c := range Causes() {
		if h := c.Hint(); h == generic || h == "" {
			t.Errorf("cause %q has no hint of its own", c)
		}
	}
	for c := range hints {
		if !slices.Contains(Causes(), c) {
			t.Errorf("hint for %q, which Causes does not list", c)
		}
	}
	if Cause("no such cause").Valid() {
		t.Error("an unknown cause is valid")
	}
}

// TestCausesIsACopy: callers cannot change the vocabulary.
func TestCausesIsACopy(t *testing.T) {
	Causes()[0] = "changed"
	if Causes()[0] != CausePanic {
		t.Error("Causes returned the vocabulary itself")
	}
}

// TestEveryCauseDocumented: README.md's table of causes has a row for each
// cause and no other, and docs/cli.md's hop field lists them all, in order.
func TestEveryCauseDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The table under "| cause | meaning | where to look |".
	_, table, ok := strings.Cut(string(readme), "| cause | meaning | where to look |\n|---|---|---|\n")
	if !ok {
		t.Fatal("README.md has no table of causes")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	var rows []Cause
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(table, -1) {
		rows = append(rows, Cause(m[1]))
	}
	if !slices.Equal(rows, Causes()) {
		t.Errorf("README.md's causes table has %q, want %q", rows, Causes())
	}
	cli, err := os.ReadFile("../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range Causes() {
		want = append(want, "`"+string(c)+"`")
	}
	if row := "| `cause` | string | " + strings.Join(want, ", ") + " |"; !strings.Contains(string(cli), row) {
		t.Errorf("docs/cli.md has no hop field row %q", row)
	}
}
