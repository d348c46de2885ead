// Command testreport reads `go test -json` from standard input and prints
// what a person reads of `go test`: each package's ok/FAIL line, the output
// of every failed or skipped test, and a closing line
// "N passed, N failed, N skipped". It exits non-zero when any test failed,
// any package failed to build, or — unless -allow-skip — any test skipped:
// scripts/test.sh uses it so that a test which skips under a plain
// `go test ./...` (no ClickHouse there, say) is a failure in CI.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// allowedSkip matches the tests whose skips do not fail the run.
var allowedSkip *regexp.Regexp

type result struct {
	passed, failed, skipped int
	badPackages             []string
	skips                   []string
}

func main() {
	allowSkip := flag.Bool("allow-skip", false, "do not fail when a test skips")
	allowed := flag.String("allow-skip-re", "", "do not fail when a test whose full name matches this regexp skips (third-party suites' own feature skips)")
	flag.Parse()
	if *allowed != "" {
		re, err := regexp.Compile(*allowed)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testreport: -allow-skip-re:", err)
			os.Exit(2)
		}
		allowedSkip = re
	}
	r, err := report(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", r.passed, r.failed, r.skipped)
	switch {
	case r.passed == 0:
		fmt.Println("no test ran")
		os.Exit(1)
	case r.failed > 0 || len(r.badPackages) > 0:
		if len(r.badPackages) > 0 {
			fmt.Println("failed packages:", strings.Join(r.badPackages, " "))
		}
		os.Exit(1)
	case len(r.skips) > 0 && !*allowSkip:
		fmt.Println("tests skipped (a skip is a failure here; see each test's reason above):")
		for _, s := range r.skips {
			fmt.Println("  " + s)
		}
		os.Exit(1)
	}
}

// report reads the JSON stream from in, writes the human-readable lines to
// out as they come, and returns the counts.
func report(in io.Reader, out io.Writer) (result, error) {
	var r result
	outputs := map[string][]string{} // package/test -> its output lines, until it ends
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Build errors and other non-JSON lines come through as they are.
			fmt.Fprintln(out, string(line))
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch e.Action {
		case "output":
			if e.Test == "" {
				// Package-level lines: keep the ok/FAIL summaries and panics.
				if strings.HasPrefix(e.Output, "ok ") || strings.HasPrefix(e.Output, "FAIL") ||
					strings.HasPrefix(e.Output, "---") || strings.HasPrefix(e.Output, "panic:") {
					fmt.Fprint(out, e.Output)
				} else {
					outputs[key] = append(outputs[key], e.Output)
				}
				continue
			}
			outputs[key] = append(outputs[key], e.Output)
		case "pass":
			if e.Test != "" {
				r.passed++
			}
			delete(outputs, key)
		case "skip":
			if e.Test != "" {
				r.skipped++
				if allowedSkip != nil && allowedSkip.MatchString(e.Test) {
					break // a skip this run expects: counted, not listed
				}
				reason := lastMeaningful(outputs[key])
				r.skips = append(r.skips, fmt.Sprintf("%s %s: %s", e.Package, e.Test, reason))
				fmt.Fprint(out, strings.Join(outputs[key], ""))
			}
			delete(outputs, key)
		case "fail":
			if e.Test != "" {
				r.failed++
			} else {
				r.badPackages = append(r.badPackages, e.Package)
			}
			fmt.Fprint(out, strings.Join(outputs[key], ""))
			delete(outputs, key)
		}
	}
	sort.Strings(r.badPackages)
	return r, sc.Err()
}

// lastMeaningful returns the last output line that is not go test's own
// "--- SKIP" or "=== RUN" bookkeeping: the test's reason for skipping.
func lastMeaningful(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "===") {
			continue
		}
		return l
	}
	return "(no reason given)"
}
