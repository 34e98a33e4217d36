package vocab

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCausesIsACopy: callers cannot change the vocabulary.
func TestCausesIsACopy(t *testing.T) {
	Causes()[0] = "changed"
	if Causes()[0] != CausePanic {
		t.Error("Causes returned the vocabulary itself")
	}
}

// TestEveryCause lists every cause with what it needs besides its
// constant and the code that decides it: its hint, its row in README.md's
// table of causes (and its place in docs/cli.md's hop field), and the
// style the web page shows it in. A cause the list lacks, or a row or
// hint without a cause, fails.
func TestEveryCause(t *testing.T) {
	rows := readmeCauseRows(t)
	cli := readFile(t, "../docs/cli.md")
	style := causeStyles(t)
	generic := Cause("no such cause").Hint()
	for _, c := range Causes() {
		hint, row := c.Hint(), rows[c]
		if hint == generic || hint == "" {
			t.Errorf("cause %q has no hint of its own", c)
		}
		if row == "" {
			t.Errorf("README.md's table of causes has no row for %q", c)
		}
		t.Logf("%-18s hint %q\n\tREADME %s\n\tpage %s", c, hint, row, style(c))
	}
	for c := range hints {
		if !slices.Contains(Causes(), c) {
			t.Errorf("hint for %q, which Causes does not list", c)
		}
	}
	for c := range rows {
		if !c.Valid() {
			t.Errorf("README.md's table of causes has a row for %q, which Causes does not list", c)
		}
	}
	if Cause("no such cause").Valid() {
		t.Error("an unknown cause is valid")
	}
	var want []string
	for _, c := range Causes() {
		want = append(want, "`"+string(c)+"`")
	}
	if row := "| `cause` | string | " + strings.Join(want, ", ") + " |"; !strings.Contains(cli, row) {
		t.Errorf("docs/cli.md has no hop field row %q", row)
	}
}

// readmeCauseRows returns the rows of README.md's table of causes (under
// "| cause | meaning | where to look |"), by cause, in their order.
func readmeCauseRows(t *testing.T) map[Cause]string {
	_, table, ok := strings.Cut(readFile(t, "../README.md"), "| cause | meaning | where to look |\n|---|---|---|\n")
	if !ok {
		t.Fatal("README.md has no table of causes")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := map[Cause]string{}
	var order []Cause
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|.*$").FindAllStringSubmatch(table, -1) {
		rows[Cause(m[1])] = m[0]
		order = append(order, Cause(m[1]))
	}
	if !slices.Equal(order, Causes()) {
		t.Errorf("README.md's causes table has %q, want %q (in that order)", order, Causes())
	}
	return rows
}

// causeStyles reads the web page's stylesheet and returns the rule a cause
// is shown with. The page shows every cause in a span of class "cause":
// one rule for all, so that a new cause needs no style of its own. A rule
// for one cause (a selector naming it) would have to be given to every
// cause.
func causeStyles(t *testing.T) func(Cause) string {
	paths, _ := filepath.Glob("../internal/*/static/style.css")
	more, _ := filepath.Glob("../internal/*/*/static/style.css")
	if paths = append(paths, more...); len(paths) != 1 {
		t.Fatalf("want the web page's one stylesheet under internal/, found %q", paths)
	}
	css := readFile(t, paths[0])
	shared := regexp.MustCompile(`(?m)^\.cause \{[^}]*\}`).FindString(css)
	if shared == "" {
		t.Fatalf("%s has no rule for .cause", paths[0])
	}
	var own int
	for _, c := range Causes() {
		if strings.Contains(css, string(c)) {
			own++
		}
	}
	if own != 0 && own != len(Causes()) {
		t.Errorf("%s styles %d of the %d causes on their own: give each its rule, or none", paths[0], own, len(Causes()))
	}
	return func(c Cause) string {
		if rule := regexp.MustCompile(`(?m)^[^{}\n]*\b` + string(c) + `\b[^{}\n]*\{[^}]*\}`).FindString(css); rule != "" {
			return rule
		}
		return shared
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
