// Package gomemlimit is a collector extension (type "go_memory_limit") that
// gives the Go runtime a soft memory limit derived from the memory limit of
// the collector's cgroup (a container's limit), when the collector starts.
//
// Without one, the garbage collector lets the heap grow to twice what is
// live (GOGC=100) whatever the container allows: the memory_limiter
// refuses new data at its soft limit, but what tail sampling already holds
// plus the garbage the next collection has not yet freed can pass the
// container's limit, and the kernel kills the process with everything it
// held. With a soft limit the runtime collects harder as the heap nears
// it, so the memory limiter's refusals take effect before the kernel acts.
//
// The limit is ratio (default 0.8) of the cgroup's limit, set with
// github.com/KimMachineGun/automemlimit (cgroup v1 and v2). GOMEMLIMIT, if
// set, wins (the runtime reads it itself), and AUTOMEMLIMIT=off leaves
// the runtime alone; AUTOMEMLIMIT=0.7 sets the ratio. Outside a cgroup
// with a limit nothing changes. Shutdown restores the runtime's previous
// limit.
//
//	extensions:
//	  go_memory_limit:
//	    ratio: 0.8
//	service:
//	  extensions: [go_memory_limit]
package gomemlimit
