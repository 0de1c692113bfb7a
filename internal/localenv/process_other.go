//go:build !linux

package localenv

import (
	"errors"
	"syscall"
)

// sysProcAttr puts the child in its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// descendants is not implemented here: children that leave the process group
// are not found.
func descendants(int) []int { return nil }

// peakRSS needs /proc.
func peakRSS(int, string) (int64, error) {
	return 0, errors.New("reading a process's peak RSS needs Linux's /proc")
}
