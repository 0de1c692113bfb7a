//go:build !linux

package localenv

import "syscall"

// sysProcAttr puts the child in its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// descendants is not implemented here: children that leave the process group
// are not found.
func descendants(int) []int { return nil }
