package failhopsampler

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/failhop/failhop/analyzer/otlpconv"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor/pkg/samplingpolicy"
)

// sampler is the extension: tail_sampling asks it for one evaluator per
// policy that names it. With metrics configured, it counts every trace
// the evaluators are asked about and serves the counts.
type sampler struct {
	cfg     *Config
	logger  *zap.Logger
	counter *counter     // nil without metrics
	server  *http.Server // serves counter
}

var _ samplingpolicy.Extension = (*sampler)(nil)

func newSampler(cfg *Config, logger *zap.Logger) (*sampler, error) {
	s := &sampler{cfg: cfg, logger: logger}
	if cfg.Metrics.Endpoint != "" {
		var err error
		if s.counter, err = newCounter(cfg.Metrics.MaxSeries); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *sampler) Start(context.Context, component.Host) error {
	if s.counter == nil {
		return nil
	}
	var err error
	s.server, err = serve(s.cfg.Metrics.Endpoint, s.counter, s.logger)
	return err
}

func (s *sampler) Shutdown(ctx context.Context) error {
	var err error
	if s.server != nil {
		err = s.server.Shutdown(ctx)
	}
	if s.counter != nil {
		err = errors.Join(err, s.counter.provider.Shutdown(ctx))
	}
	return err
}

// NewEvaluator returns the policy's evaluator. The policy takes no
// settings.
func (s *sampler) NewEvaluator(policy string, cfg map[string]any) (samplingpolicy.Evaluator, error) {
	if len(cfg) > 0 {
		return nil, fmt.Errorf("policy %q: failhop_sampler takes no settings", policy)
	}
	return failedTraces{counter: s.counter}, nil
}

// failedTraces samples a trace when one of its spans failed, and counts
// it when counter is not nil. tail_sampling evaluates each trace once, at
// its decision, with all the spans it received by then.
type failedTraces struct {
	counter *counter
}

func (f failedTraces) Evaluate(ctx context.Context, id pcommon.TraceID, td *samplingpolicy.TraceData) (samplingpolicy.Decision, error) {
	var test otlpconv.FailureTest
	failed := test.AnyFailed(td.ReceivedBatches)
	if f.counter != nil {
		f.counter.countTrace(ctx, id, td.ReceivedBatches, failed)
	}
	if failed {
		return samplingpolicy.Sampled, nil
	}
	return samplingpolicy.NotSampled, nil
}

func (failedTraces) IsStateful() bool { return false }
