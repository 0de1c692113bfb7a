package localenv

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr puts the child in its own process group and asks the kernel to
// kill it if the thread that started it (the test binary) dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// descendants returns the pids of all live descendants of pid, found by
// scanning /proc. The RIE starts the function in a process group of its own,
// so killing the RIE's group alone would orphan it.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// Format: pid (comm) state ppid ...; comm may contain spaces and ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(fields[1])
		if err != nil {
			continue
		}
		children[ppid] = append(children[ppid], child)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// peakRSS returns the VmHWM, in bytes, of the descendant of pid whose
// executable is exe (the RIE's runtime process).
func peakRSS(pid int, exe string) (int64, error) {
	want, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return 0, err
	}
	for _, p := range descendants(pid) {
		dir := "/proc/" + strconv.Itoa(p)
		got, err := os.Readlink(dir + "/exe")
		// A binary replaced on disk since it started reads "<path> (deleted)".
		if err != nil || (got != want && got != want+" (deleted)") {
			continue // exited meanwhile, or not the runtime
		}
		status, err := os.ReadFile(dir + "/status")
		if err != nil {
			return 0, err
		}
		return parseVMHWM(status)
	}
	return 0, errNoRuntime
}
