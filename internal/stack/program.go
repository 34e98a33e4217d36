package stack

// NewService describes another program run the way the stack runs its
// own: its output appended to logFile, started in its own process group,
// ready once every URL of ready answers 200, stopped with SIGTERM. Tests
// use it for the applications they send through the pipeline (HotROD,
// Node.js services).
func NewService(name, bin string, args, env []string, logFile string, ready ...string) *Service {
	return &Service{process{name: name, bin: bin, args: args, env: &childEnv{set: env}, logFile: logFile, ready: ready}}
}
