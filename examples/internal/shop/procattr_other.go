//go:build !linux

package shop

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }
