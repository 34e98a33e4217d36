package failhopprocessor

// Config is the processor's configuration. It has no settings: the
// processor is configured by where it sits in a pipeline.
type Config struct{}
