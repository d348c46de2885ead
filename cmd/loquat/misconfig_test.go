package main_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// closedPort returns a loopback address nothing listens on: connecting to
// it is refused at once.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// runExit runs loquat and returns its exit code, stdout and stderr.
func runExit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	default:
		t.Fatalf("loquat %v: %v", args, err)
		return 0, "", ""
	}
}

// TestMisconfigurationIsOneLine runs every role against each broken setup
// of issue #12 and each bad flag value: the process must exit non-zero with
// one line on stderr naming the cause, never a panic.
func TestMisconfigurationIsOneLine(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	registryFile := filepath.Join("..", "..", "internal", "samples", "data", "registry.json")
	importFile := filepath.Join("testdata", "jd-kuaishou-as-import.csv")

	// Data dirs broken in the ways the issue lists.
	corruptReadModel := filepath.Join(root, "corrupt")
	eventlogIsFile := filepath.Join(root, "eventlog-file")
	for _, dir := range []string{corruptReadModel, eventlogIsFile} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	garbage := bytes.Repeat([]byte("this is not a SQLite database\n"), 400)
	if err := os.WriteFile(filepath.Join(corruptReadModel, "readmodel.db"), garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(eventlogIsFile, "eventlog"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	noClickHouse := []string{"--store", "clickhouse", "--clickhouse-dsn", "clickhouse://" + closedPort(t) + "/loquat?dial_timeout=500ms"}
	noKafka := []string{"--eventlog", "kafka", "--kafka-brokers", closedPort(t), "--kafka-dial-timeout", "500ms"}

	// roles are the commands with their own arguments; each case names the
	// roles it applies to.
	roles := map[string][]string{
		"serve":    {"serve", "--addr", "127.0.0.1:0"},
		"ingest":   {"ingest", "--addr", "127.0.0.1:0"},
		"project":  {"project", "--addr", "127.0.0.1:0"},
		"api":      {"api", "--addr", "127.0.0.1:0"},
		"import":   {"import", importFile},
		"rebuild":  {"rebuild"},
		"registry": {"registry", "load", registryFile},
		"demo":     {"demo", "--keep", "--addr", "127.0.0.1:0", "--day", "2020-04-30"},
	}
	withLog := []string{"serve", "ingest", "project", "import", "rebuild", "registry"}
	cases := []struct {
		name  string
		roles []string
		data  string // data dir; default a fresh one
		args  []string
		want  []string // substrings of the one line
	}{
		{"eventlog-sync lower case", withLog, "", []string{"--eventlog-sync", "normal"}, []string{"--eventlog-sync", "FULL or NORMAL"}},
		{"corrupt read model", []string{"serve", "project", "api", "demo"}, corruptReadModel, nil, []string{"readmodel.db", "loquat rebuild"}},
		{"eventlog is a file", append(withLog, "demo"), eventlogIsFile, nil, []string{"eventlog", "is a file", "move it away"}},
		{"no ClickHouse server", []string{"serve", "project", "api", "rebuild"}, "", noClickHouse, []string{"connection refused", "--clickhouse-dsn"}},
		{"no Kafka broker", withLog, "", noKafka, []string{"kafka", "reachable"}},
		{"unknown event log", withLog, "", []string{"--eventlog", "pulsar"}, []string{`--eventlog="pulsar"`, "sqlite or kafka"}},
		{"unknown store", []string{"serve", "project", "api", "rebuild"}, "", []string{"--store", "duckdb"}, []string{`--store="duckdb"`}},
		{"bad DSN", []string{"api"}, "", []string{"--store", "clickhouse", "--clickhouse-dsn", "http//x"}, []string{"--clickhouse-dsn"}},
		{"bad broker", []string{"ingest"}, "", []string{"--eventlog", "kafka", "--kafka-brokers", "kafka-1"}, []string{"--kafka-brokers", "host:port"}},
		{"bad partitions", []string{"ingest"}, "", []string{"--eventlog", "kafka", "--kafka-partitions", "0"}, []string{"--kafka-partitions=0"}},
		{"bad dial timeout", []string{"import"}, "", []string{"--eventlog", "kafka", "--kafka-dial-timeout", "0s"}, []string{"--kafka-dial-timeout=0s"}},
		{"bad log level", []string{"serve", "import", "demo"}, "", []string{"--log-level", "loud"}, []string{`--log-level="loud"`}},
		{"bad addr", []string{"serve", "api"}, "", []string{"--addr", "8080"}, []string{`--addr="8080"`}},
		{"bad monitoring threshold", []string{"serve", "api"}, "", []string{"--monitor-drop-pct", "0"}, []string{"--monitor-drop-pct=0", "1 to 100"}},
		{"monitoring threshold over 100", []string{"serve", "api"}, "", []string{"--monitor-near-line-pct", "150"}, []string{"--monitor-near-line-pct=150"}},
		{"bad demo day", []string{"demo"}, "", []string{"--day", "2020-13-01"}, []string{`--day="2020-13-01"`}},
		{"demo day too recent", []string{"demo"}, "", []string{"--day", time.Now().Format("2006-01-02")}, []string{"later than now"}},
		{"bad demo orders", []string{"demo"}, "", []string{"--orders", "-5"}, []string{"--orders=-5"}},
	}
	for _, c := range cases {
		for _, role := range c.roles {
			t.Run(c.name+"/"+role, func(t *testing.T) {
				data := c.data
				if data == "" {
					data = t.TempDir()
				}
				args := append(append(append([]string{}, roles[role]...), "--data-dir", data), c.args...)
				start := time.Now()
				code, stdout, stderr := runExit(t, args...)
				if code == 0 {
					t.Fatalf("loquat %v exited 0; want a failure\nstdout: %s\nstderr: %s", args, stdout, stderr)
				}
				for _, bad := range []string{"panic", "goroutine "} {
					if strings.Contains(stdout+stderr, bad) {
						t.Fatalf("loquat %v printed %q:\n%s%s", args, bad, stdout, stderr)
					}
				}
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if len(lines) != 1 || !strings.HasPrefix(lines[0], "loquat: ") {
					t.Fatalf("loquat %v: stderr is %d lines, want one starting \"loquat: \":\n%s", args, len(lines), stderr)
				}
				for _, w := range c.want {
					if !strings.Contains(lines[0], w) {
						t.Errorf("loquat %v: %q does not name %q", args, lines[0], w)
					}
				}
				if took := time.Since(start); took > 20*time.Second {
					t.Errorf("loquat %v took %s to fail", args, took.Round(time.Millisecond))
				}
			})
		}
	}
}
