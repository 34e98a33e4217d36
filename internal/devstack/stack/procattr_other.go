//go:build !linux

package stack

import "syscall"

// procAttr puts a child in its own process group: Ctrl-C reaches us, and we
// stop it.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
