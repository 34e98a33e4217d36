package failhopsampler

import (
	"context"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/failhop/failhop/collector/internal/metadatatest"
	"github.com/failhop/failhop/collector/internal/ptracetest"
)

// TestMetadata: the factory and README.md's status table are those of
// metadata.yaml.
func TestMetadata(t *testing.T) {
	md := metadatatest.Load(t)
	metadatatest.CheckExtensionFactory(t, md, NewFactory())
	metadatatest.CheckREADME(t, md)
}

// TestLifecycle, with the default config (no metrics) and with a metrics
// endpoint, whose server Shutdown stops.
func TestLifecycle(t *testing.T) {
	f := NewFactory()
	for name, cfg := range map[string]*Config{
		"default": f.CreateDefaultConfig().(*Config),
		"metrics": {Metrics: MetricsConfig{Endpoint: "127.0.0.1:0", MaxSeries: defaultMaxSeries}},
	} {
		t.Run(name, func(t *testing.T) {
			metadatatest.CheckLifecycle(t, componenttest.NewNopHost(), func() (component.Component, error) {
				return f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
			})
		})
	}
}

// servedMetric is a metric as README.md's "Metrics" table and the
// endpoint's exposition describe it.
type servedMetric struct {
	Kind, Help string
	Labels     []string
}

// TestServedMetrics: the metrics the endpoint serves, with their kind,
// labels and help, are README.md's table.
func TestServedMetrics(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	set := extensiontest.NewNopSettings(Type)
	set.Logger = zap.New(core)
	cfg := &Config{Metrics: MetricsConfig{Endpoint: "127.0.0.1:0", MaxSeries: 2}} // one label set and the overflow series
	ext, err := NewFactory().Create(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer ext.Shutdown(context.Background())
	ev, err := ext.(*sampler).NewEvaluator("failed", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A failed request, and a request with a second entry (overflowing):
	// each metric has a series.
	for n, op := range []string{"GET /checkout", "GET /cart"} {
		td := ptracetest.FromAnalyzer(request(n, op, n == 0))
		if _, err := ev.Evaluate(context.Background(), pcommon.TraceID{}, traceData(td)); err != nil {
			t.Fatal(err)
		}
	}
	served := logs.FilterMessageSnippet("serving the failure metrics").All()
	if len(served) != 1 {
		t.Fatalf("%d logs of the metrics' URL, want 1", len(served))
	}
	if diff := cmp.Diff(documentedMetrics(t), servedMetrics(t, served[0].ContextMap()["url"].(string))); diff != "" {
		t.Errorf("README.md's metrics (-) and the endpoint's (+):\n%s", diff)
	}
}

// documentedMetrics reads README.md's "Metrics" table.
func documentedMetrics(t *testing.T) map[string]servedMetric {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile("`([^`]+)`")
	out := map[string]servedMetric{}
	for line := range strings.Lines(string(b)) {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), " | ")
		if !strings.HasPrefix(line, "| `failhop_") || len(cells) != 4 {
			continue
		}
		var labels []string
		for _, m := range code.FindAllStringSubmatch(cells[2], -1) {
			labels = append(labels, m[1])
		}
		slices.Sort(labels)
		out[strings.Trim(strings.TrimSpace(cells[0]), "`")] = servedMetric{Kind: cells[1], Help: strings.TrimSpace(cells[3]), Labels: labels}
	}
	return out
}

// servedMetrics scrapes url in Prometheus's text format. A metric's
// overflow series, labelled otel_metric_overflow alone, is left out.
func servedMetrics(t *testing.T, url string) map[string]servedMetric {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]servedMetric{}
	for name, f := range families {
		labels := map[string]bool{}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "otel_metric_overflow" {
					labels[l.GetName()] = true
				}
			}
		}
		out[name] = servedMetric{Kind: strings.ToLower(f.GetType().String()), Help: f.GetHelp(), Labels: slices.Sorted(maps.Keys(labels))}
	}
	return out
}
