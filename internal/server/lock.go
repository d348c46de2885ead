package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// dataDirLock keeps one process at a time owning a data dir's read model:
// `loquat serve` and `loquat rebuild` take it; `loquat import` and
// `loquat registry load` only append to the event log and need not.
type dataDirLock struct{ f *os.File }

func lockDataDir(dir string) (*dataDirLock, error) {
	path := filepath.Join(dir, "readmodel.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		return nil, fmt.Errorf("the read model in %s is in use by another loquat process (pid %s); stop it first: %w",
			dir, strings.TrimSpace(string(owner)), err)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return &dataDirLock{f: f}, nil
}

func (l *dataDirLock) release() {
	if l != nil && l.f != nil {
		syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
		l.f = nil
	}
}
