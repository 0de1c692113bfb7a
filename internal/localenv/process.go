package localenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a process group gets between SIGTERM and SIGKILL.
const stopGrace = 2 * time.Second

// pipeWaitDelay bounds how long Wait keeps copying output after the leader
// exited (a grandchild could otherwise hold the pipe open).
const pipeWaitDelay = 2 * time.Second

// group is a started child process that leads its own process group.
type group struct {
	cmd  *exec.Cmd
	pgid int
	done chan struct{} // closed once cmd.Wait returned

	stopOnce sync.Once
	stopErr  error
}

// startGroup starts cmd as the leader of a new process group and reaps it in
// the background.
func startGroup(cmd *exec.Cmd) (*group, error) {
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = pipeWaitDelay
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	g := &group{cmd: cmd, pgid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status of a process we kill carries no information
		close(g.done)
	}()
	return g, nil
}

// exited reports whether the group leader has exited.
func (g *group) exited() bool {
	select {
	case <-g.done:
		return true
	default:
		return false
	}
}

// signal sends sig to every process of the group. A group that no longer
// exists is not an error.
func (g *group) signal(sig syscall.Signal) error {
	if err := syscall.Kill(-g.pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal process group %d: %w", g.pgid, err)
	}
	return nil
}

// stop ends the whole group and waits for the leader: SIGTERM first when grace
// is positive, SIGKILL after grace (or at once), and a final SIGKILL so no
// member survives a leader that exited on its own. Descendants that moved to
// a process group of their own (the RIE does that with the function) are
// found before the leader goes and get the same SIGKILL. It is idempotent.
func (g *group) stop(grace time.Duration) error {
	g.stopOnce.Do(func() {
		var errs []error
		var strays []int
		if !g.exited() {
			strays = descendants(g.pgid)
		}
		if grace > 0 && !g.exited() {
			errs = append(errs, g.signal(syscall.SIGTERM))
			select {
			case <-g.done:
			case <-time.After(grace):
			}
		}
		errs = append(errs, g.signal(syscall.SIGKILL))
		for _, pid := range strays {
			// Usually gone already; a pid is not reused this quickly.
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("kill descendant %d: %w", pid, err))
			}
		}
		<-g.done
		g.stopErr = errors.Join(errs...)
	})
	return g.stopErr
}

// logSink collects a process's combined output in memory and tees it to an
// optional writer. exec.Cmd serialises writes when Stdout and Stderr are the
// same comparable writer; the mutex protects readers.
type logSink struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	max     int // keep at most about this many trailing bytes; 0 keeps everything
	out     io.Writer
	changed chan struct{} // closed (and cleared) by the next Write
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.buf.Write(p)
	if s.max > 0 && s.buf.Len() > 2*s.max {
		tail := bytes.Clone(s.buf.Bytes()[s.buf.Len()-s.max:])
		s.buf.Reset()
		s.buf.Write(tail)
	}
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	out := s.out
	s.mu.Unlock()
	if out != nil {
		// A failing tee must not break the child's output pipe.
		_, _ = out.Write(p)
	}
	return len(p), nil
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// len is the number of bytes written so far (for a sink without max).
func (s *logSink) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Len()
}

// waitFor blocks until the output from offset from on contains substr, or
// ctx ends. Only for sinks without max (offsets must be stable).
func (s *logSink) waitFor(ctx context.Context, substr string, from int) error {
	for {
		s.mu.Lock()
		b := s.buf.Bytes()
		if from > len(b) {
			from = len(b)
		}
		if bytes.Contains(b[from:], []byte(substr)) {
			s.mu.Unlock()
			return nil
		}
		// Next round only needs to look at what arrives, plus an overlap.
		from = max(from, len(b)-len(substr)+1)
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tail returns at most n trailing bytes of the output, for error messages.
func (s *logSink) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buf.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}

// freePorts returns n distinct loopback ports that were free a moment ago.
// All listeners are held open together so the ports differ; the caller must
// cope with another process taking a port before it binds it.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for len(ports) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free loopback port: %w", err)
		}
		lns = append(lns, ln)
		port := ln.Addr().(*net.TCPAddr).Port
		if handedOut.claim(port) {
			ports = append(ports, port)
		}
	}
	return ports, nil
}

// handedOut remembers every port freePorts returned in this process: the
// kernel may offer a port again as soon as its probe listener is closed,
// and two processes started at the same time would then race for it (the
// loser's start-up probe would even reach the winner).
var handedOut = portSet{ports: map[int]bool{}}

type portSet struct {
	mu    sync.Mutex
	ports map[int]bool
}

func (s *portSet) claim(port int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ports[port] {
		return false
	}
	s.ports[port] = true
	return true
}

func loopback(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// errNoRuntime is returned by peakRSS when no descendant runs the bootstrap.
var errNoRuntime = errors.New("no runtime process yet: the RIE starts the bootstrap on the first invoke")

// parseVMHWM returns the VmHWM (peak resident set size) of a
// /proc/<pid>/status file, in bytes.
func parseVMHWM(status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		fields := strings.Fields(string(rest))
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("malformed VmHWM line %q", bytes.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("malformed VmHWM line %q", bytes.TrimSpace(line))
		}
		return kb << 10, nil
	}
	return 0, errors.New("no VmHWM line in the process status")
}
