package failhopmetrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/toanalyzer"
)

// metricsExporter analyzes the traces it is given and serves the counts.
type metricsExporter struct {
	endpoint string
	counter  *counter
	logger   *zap.Logger
	server   *http.Server
}

// start serves /metrics on the endpoint; a taken port fails the
// collector's start with the address in the message.
func (e *metricsExporter) start(_ context.Context, _ component.Host) error {
	ln, err := net.Listen("tcp", e.endpoint)
	if err != nil {
		return fmt.Errorf("failhop_metrics: serving /metrics on %s: %w (move it with FAILHOP_METRICS_ENDPOINT)", e.endpoint, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", e.counter.handler)
	e.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := e.server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			e.logger.Error("failhop_metrics: /metrics stopped serving", zap.Error(err))
		}
	}()
	e.logger.Info("failhop_metrics: serving Prometheus metrics", zap.String("url", "http://"+ln.Addr().String()+"/metrics"))
	return nil
}

func (e *metricsExporter) shutdown(ctx context.Context) error {
	var err error
	if e.server != nil {
		err = e.server.Shutdown(ctx)
	}
	return errors.Join(err, e.counter.provider.Shutdown(ctx))
}

// consume analyzes each trace of td (groupbytrace hands over one trace at
// a time, with all the spans it gathered) and counts it.
func (e *metricsExporter) consume(ctx context.Context, td ptrace.Traces) error {
	traces := map[pcommon.TraceID]*analyzer.Trace{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := toanalyzer.NewResource(rs.Resource().Attributes())
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			scope := sss.At(j).Scope()
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				t := traces[s.TraceID()]
				if t == nil {
					t = &analyzer.Trace{TraceID: s.TraceID().String()}
					traces[s.TraceID()] = t
				}
				t.Spans = append(t.Spans, toanalyzer.Convert(s, res, scope))
			}
		}
	}
	for _, t := range traces {
		e.counter.count(ctx, analyzer.Analyze(t))
	}
	return nil
}
