// Package rootwait is a traces processor (type "root_wait") that holds
// each trace's root span for a while before passing it on, and passes the
// other spans on at once. It goes just before tail_sampling, so that tail
// sampling's decision_wait_after_root_received can decide a trace a known,
// sub-second time after its root span arrived.
//
// # Why
//
// A root span ends once the response has gone out, after every span below
// it, so once it has arrived the rest of the trace is at most one export
// delay away (the services' OTEL_BSP_SCHEDULE_DELAY). Tail sampling (v0.160)
// can decide a trace early once its root span is in, but counts that wait
// in whole seconds on a one-second tick: a wait of 1 s decides 1 to 2 s
// after the root span, and a shorter one at the next tick, 0 to 1 s after,
// which can come before the other services' spans do. With root_wait in
// front and tail sampling's wait under a second, a trace is decided at
// the first tick after the root span has been held for wait: wait to
// wait + 1 s after it arrived, with the rest of the trace in by then if
// wait covers the services' export delay.
//
// # What it holds
//
// Only spans with no parent, each with its resource and scope, for wait,
// but never past the moment tail sampling may decide the trace by its
// decision_wait (Config.DecisionWait), counted from the root span's start:
// a long trace keeps its root span in the decision. Shutdown passes on
// what is held at once. Memory is bounded by the memory_limiter before it
// (the root spans of wait seconds of traffic are held).
package rootwait
