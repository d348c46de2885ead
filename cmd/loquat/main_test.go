package main_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the loquat command built once for these tests: they run it as a
// child process, the way users and CI do, so crashes are real SIGKILLs.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "loquat-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "loquat")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build loquat:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running loquat child process.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    strings.Builder // stdout and stderr
	stdout strings.Builder
	url    chan string
	exited chan error
}

var servingURL = regexp.MustCompile(`(?:serving on|serving at) (http://[0-9.]+:[0-9]+)`)

// start runs loquat with args; output is kept and scanned for the serving URL.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary, args...), url: make(chan string, 1), exited: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = writerFunc(func(b []byte) { p.mu.Lock(); p.out.Write(b); p.mu.Unlock() })
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			line := s.Text()
			p.mu.Lock()
			p.out.WriteString(line + "\n")
			p.stdout.WriteString(line + "\n")
			p.mu.Unlock()
			if m := servingURL.FindStringSubmatch(line); m != nil {
				select {
				case p.url <- m[1]:
				default:
				}
			}
		}
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

type writerFunc func([]byte)

func (f writerFunc) Write(b []byte) (int, error) { f(b); return len(b), nil }

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// printed is what the process wrote to stdout so far.
func (p *proc) printed() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// waitURL waits for the process to print the URL it serves on.
func (p *proc) waitURL(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case u := <-p.url:
		return u
	case err := <-p.exited:
		t.Fatalf("loquat %v exited before serving (%v):\n%s", p.cmd.Args[1:], err, p.output())
	case <-time.After(timeout):
		t.Fatalf("loquat %v did not serve within %s:\n%s", p.cmd.Args[1:], timeout, p.output())
	}
	return ""
}

// wait waits for the process to exit on its own and fails the test on an error exit.
func (p *proc) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("loquat %v: %v\n%s", p.cmd.Args[1:], err, p.output())
		}
	case <-time.After(timeout):
		t.Fatalf("loquat %v still running after %s:\n%s", p.cmd.Args[1:], timeout, p.output())
	}
}

// stop interrupts the process (Ctrl-C) and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	p.wait(t, 30*time.Second)
}

// kill SIGKILLs the process: no deferred code, no graceful shutdown.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// run runs loquat to completion and returns its output.
func run(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("loquat %v: %v\n%s", args, err, out)
	}
	return string(out)
}

var _ = io.Discard
