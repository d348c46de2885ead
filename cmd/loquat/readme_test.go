package main_test

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite README.md's demo output and example answers from a run of `loquat demo --day 2020-04-30`")

// readmeDay is the demo day of the README's examples.
const readmeDay = "2020-04-30"

// README markers: the line before each checked block.
const (
	readmeOutputMarker  = "`loquat demo --day " + readmeDay + "` prints:"
	readmeAnswersMarker = "Real answers from `loquat demo --day " + readmeDay + "`:"
)

// duration matches the push time the demo prints, which differs per run.
var duration = regexp.MustCompile(`in [0-9][0-9.hmµns]*\.\n`)

// TestREADMEExamples runs `loquat demo --day 2020-04-30` and holds the
// README's demo output and every example answer (each `$ curl` line and the
// answer under it) to what the run prints and serves. After a change to the
// demo or the API, `go test ./cmd/loquat -run TestREADMEExamples -update`
// rewrites both blocks from a run.
func TestREADMEExamples(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "README.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)

	p := start(t, nil, "demo", "--addr", "127.0.0.1:0", "--day", readmeDay)
	url := p.waitURL(t, 2*time.Minute)
	// The examples are asked as the demo's district_admin (the README's
	// curl lines leave the header out; see internal/auth/README.md).
	token := demoAccounts(t, p)["district_admin"].token
	printed, _, _ := strings.Cut(p.printed(), "\nLoquat is serving at")
	printed = strings.TrimSpace(printed) + "\n"

	outStart, outEnd := block(t, readme, readmeOutputMarker)
	if want := readme[outStart:outEnd]; duration.ReplaceAllString(want, "") != duration.ReplaceAllString(printed, "") {
		if !*update {
			t.Errorf("README's demo output (after %q) differs from the run's:\n--- README\n%s--- run\n%s(run with -update to rewrite it)", readmeOutputMarker, want, printed)
		}
	}

	ansStart, ansEnd := block(t, readme, readmeAnswersMarker)
	answers, mismatches := answerExamples(t, url, token, readme[ansStart:ansEnd])
	if mismatches != "" && !*update {
		t.Errorf("README's example answers (after %q) differ from the run's:\n%s(run with -update to rewrite them)", readmeAnswersMarker, mismatches)
	}
	p.stop(t)

	if *update {
		// The answers block comes later in the file: replace it first.
		updated := readme[:ansStart] + answers + readme[ansEnd:]
		updated = updated[:outStart] + printed + updated[outEnd:]
		if err := os.WriteFile(path, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s from the run", path)
	}
}

// block returns the bounds of the body of the fenced block after marker.
func block(t *testing.T, readme, marker string) (start, end int) {
	t.Helper()
	i := strings.Index(readme, marker)
	if i < 0 {
		t.Fatalf("README.md has no line %q", marker)
	}
	fence := strings.Index(readme[i:], "```")
	if fence < 0 {
		t.Fatalf("README.md: no block after %q", marker)
	}
	nl := strings.IndexByte(readme[i+fence:], '\n')
	start = i + fence + nl + 1
	closing := strings.Index(readme[start:], "```")
	if closing < 0 {
		t.Fatalf("README.md: the block after %q is not closed", marker)
	}
	return start, start + closing
}

var curlLine = regexp.MustCompile(`^\$ curl -s (?:-H "Authorization: Bearer \$TOKEN" )?'?localhost:8080(/[^' ]*)'?$`)

// answerExamples asks the demo every `$ curl` of the block and returns the
// block with the run's answers, and a description of each that differed.
func answerExamples(t *testing.T, url, token, body string) (string, string) {
	t.Helper()
	var out, diffs strings.Builder
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	asked := 0
	for i := 0; i < len(lines); i++ {
		m := curlLine.FindStringSubmatch(lines[i])
		if m == nil {
			t.Fatalf("README.md example line %q is not `$ curl -s localhost:8080/...`", lines[i])
		}
		var want []string
		for i+1 < len(lines) && lines[i+1] != "" {
			i++
			want = append(want, lines[i])
		}
		got := get(t, url+m[1], token)
		asked++
		if strings.Join(want, "\n") != got {
			fmt.Fprintf(&diffs, "%s\n  README: %s\n  run:    %s\n", lines[i-len(want)], strings.Join(want, "\n"), got)
		}
		fmt.Fprintf(&out, "%s\n%s\n", lines[i-len(want)], got)
		if i+1 < len(lines) {
			out.WriteString("\n")
			i++ // the blank line between examples
		}
	}
	if asked < 5 {
		t.Fatalf("only %d examples found in README.md", asked)
	}
	return out.String(), diffs.String()
}

func get(t *testing.T, url, token string) string {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
