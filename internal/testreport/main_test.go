package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReportOnRealGoTest runs `go test -json` on a throwaway module with one
// passing, one failing and one skipping test, and checks the counts and the
// lines a person reads.
func TestReportOnRealGoTest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/x\n\ngo 1.21\n")
	write("x_test.go", `package x
import "testing"
func TestPasses(t *testing.T) {}
func TestFails(t *testing.T) { t.Error("the reason it failed") }
func TestSkips(t *testing.T) { t.Skip("no server here") }
`)
	cmd := exec.Command("go", "test", "-json", "-count=1", "./...")
	cmd.Dir = dir
	stream, _ := cmd.Output() // a failing test exits non-zero; the stream is what matters
	var out bytes.Buffer
	r, err := report(bytes.NewReader(stream), &out)
	if err != nil {
		t.Fatal(err)
	}
	if r.passed != 1 || r.failed != 1 || r.skipped != 1 {
		t.Fatalf("counts = %d passed, %d failed, %d skipped; want 1 each\n%s", r.passed, r.failed, r.skipped, out.String())
	}
	if len(r.skips) != 1 || !strings.Contains(r.skips[0], "no server here") {
		t.Errorf("skip reasons = %q, want the test's own reason", r.skips)
	}
	for _, want := range []string{"the reason it failed", "FAIL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "TestPasses") {
		t.Errorf("a passing test's output was printed:\n%s", out.String())
	}
}

// TestAllowedSkip: a skip whose test name matches -allow-skip-re is counted
// but does not fail the run; any other skip still does.
func TestAllowedSkip(t *testing.T) {
	stream := `{"Action":"output","Package":"p","Test":"TestSuite/Feature","Output":"not supported\n"}
{"Action":"skip","Package":"p","Test":"TestSuite/Feature"}
{"Action":"output","Package":"p","Test":"TestOwn","Output":"no server\n"}
{"Action":"skip","Package":"p","Test":"TestOwn"}
`
	allowedSkip = regexp.MustCompile(`^TestSuite/`)
	defer func() { allowedSkip = nil }()
	r, err := report(strings.NewReader(stream), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.skipped != 2 || len(r.skips) != 1 || !strings.Contains(r.skips[0], "TestOwn: no server") {
		t.Fatalf("skipped %d, failing skips %q; want 2 counted and only TestOwn failing", r.skipped, r.skips)
	}
}
