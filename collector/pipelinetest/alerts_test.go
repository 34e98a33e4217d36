package pipelinetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/failhop/failhop/vocab"
)

// The alert rules (collector-config/alerts.yml), Prometheus's and
// Alertmanager's configs are checked by the tools that load them, and the
// rules by their unit tests (alerts_test.yml), every one firing and
// staying quiet.

// promTool returns the path of a Prometheus tool, failing t when it is
// not installed (scripts/prometheus.sh installs it).
func promTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: run scripts/prometheus.sh (it installs Debian's prometheus and prometheus-alertmanager)", name)
	}
	return p
}

func TestAlertRules(t *testing.T) {
	dir := filepath.Join(root(t), "collector-config")
	for _, args := range [][]string{
		{promTool(t, "promtool"), "check", "config", "prometheus.yml"},
		{promTool(t, "promtool"), "check", "config", "prometheus-compose.yml"},
		{promTool(t, "promtool"), "test", "rules", "alerts_test.yml"},
		{promTool(t, "amtool"), "check-config", "alertmanager.yml"},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
		} else {
			t.Logf("%s: ok", strings.Join(args, " "))
		}
	}
}

// TestAlertHints: every alert's hint annotation is vocab's hint for the
// cause, one branch per cause. FAILHOP_UPDATE_ALERTS=1 rewrites them.
func TestAlertHints(t *testing.T) {
	path := filepath.Join(root(t), "collector-config", "alerts.yml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	alert, hints := "", 0
	for i, l := range lines {
		if a, ok := strings.CutPrefix(strings.TrimSpace(l), "- alert: "); ok {
			alert = a
		}
		indent, ok := strings.CutSuffix(l, strings.TrimLeft(l, " "))
		if !ok || !strings.HasPrefix(strings.TrimSpace(l), "hint: ") {
			continue
		}
		hints++
		want := indent + "hint: '" + hintTemplate(alert) + "'"
		if l != want {
			if os.Getenv("FAILHOP_UPDATE_ALERTS") == "1" {
				lines[i] = want
				continue
			}
			t.Errorf("alerts.yml:%d: %s's hint is not vocab's (FAILHOP_UPDATE_ALERTS=1 rewrites it):\ngot  %s\nwant %s", i+1, alert, l, want)
		}
	}
	if hints != 3 {
		t.Errorf("%d hint annotations in alerts.yml, want one for each of the 3 alerts", hints)
	}
	if os.Getenv("FAILHOP_UPDATE_ALERTS") == "1" {
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hintTemplate is the hint annotation of an alert: vocab's hint of the
// alert's cause label, or, for the burn-rate alert (labelled by entry),
// of the cause of the hop that failed most in the last hour. It is in
// single quotes in YAML, where a quote is doubled.
func hintTemplate(alert string) string {
	cause := "$labels.cause"
	if alert == "FailhopErrorBudgetBurn" {
		cause = "$cause"
	}
	var b strings.Builder
	for i, c := range vocab.Causes() {
		if i > 0 {
			b.WriteString("{{ else ")
		} else {
			b.WriteString("{{ ")
		}
		fmt.Fprintf(&b, "if eq %s %q }}%s", cause, string(c), c.Hint())
	}
	fmt.Fprintf(&b, "{{ else }}%s{{ end }}", vocab.Cause("").Hint())
	chain := strings.ReplaceAll(b.String(), "'", "''")
	if alert == "FailhopErrorBudgetBurn" {
		return `{{ with printf "topk(1, sum by (cause) (increase(failhop_failing_hops_total{entry_service=%q,entry_operation=%q}[1h])))" $labels.entry_service $labels.entry_operation | query }}{{ with first . }}{{ $cause := label "cause" . }}` + chain + `{{ end }}{{ end }}`
	}
	return chain
}
