package failhopsampler

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/failhop/failhop/internal/toanalyzer"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor/pkg/samplingpolicy"
)

// sampler is the extension: tail_sampling asks it for one evaluator per
// policy that names it.
type sampler struct{}

var _ samplingpolicy.Extension = sampler{}

func (sampler) Start(context.Context, component.Host) error { return nil }
func (sampler) Shutdown(context.Context) error              { return nil }

// NewEvaluator returns the policy's evaluator. The policy takes no
// settings.
func (sampler) NewEvaluator(policy string, cfg map[string]any) (samplingpolicy.Evaluator, error) {
	if len(cfg) > 0 {
		return nil, fmt.Errorf("policy %q: failhop_sampler takes no settings", policy)
	}
	return failedTraces{}, nil
}

// failedTraces samples a trace when one of its spans failed.
type failedTraces struct{}

func (failedTraces) Evaluate(_ context.Context, _ pcommon.TraceID, td *samplingpolicy.TraceData) (samplingpolicy.Decision, error) {
	var test toanalyzer.FailureTest
	if test.AnyFailed(td.ReceivedBatches) {
		return samplingpolicy.Sampled, nil
	}
	return samplingpolicy.NotSampled, nil
}

func (failedTraces) IsStateful() bool { return false }
