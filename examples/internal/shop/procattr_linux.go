package shop

import "syscall"

// procAttr makes a service receive SIGTERM if the shop's process dies
// without stopping it, so no service outlives a killed test.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} }
