//go:build unix && !linux

package dynamodblocal

import "syscall"

// sysProcAttr puts the server in its own process group so Stop can end it with its children.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
