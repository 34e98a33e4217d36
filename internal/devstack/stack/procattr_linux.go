package stack

import "syscall"

// procAttr puts a child in its own process group (Ctrl-C reaches us, and we
// stop it) and has it receive SIGTERM if our process dies without stopping
// it (killed, a crash), so no child outlives the run that started it.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
