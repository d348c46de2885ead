package main_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
)

// runIn runs loquat in dir to completion and returns its output and exit code.
func runIn(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("loquat %v: %v", args, err)
	}
	return string(out), 0
}

// logCounts reads the data dir's event log (no process may hold it): how
// many events were appended, and the dead letters.
func logCounts(t *testing.T, data string) (events int64, dead []domain.DeadLetter) {
	t.Helper()
	log, err := server.OpenLog(data, server.LogConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	ctx := context.Background()
	end, err := log.End(ctx, eventlog.TopicEvents)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range end {
		events += off
	}
	deadEnd, err := log.End(ctx, eventlog.TopicDeadLetters)
	if err != nil {
		t.Fatal(err)
	}
	err = eventlog.ReadUntil(ctx, log, "test-dead-letters", eventlog.TopicDeadLetters, deadEnd, func(msg *message.Message, _ eventlog.Position) error {
		dl, err := eventlog.DecodeDeadLetter(msg)
		dead = append(dead, dl)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return events, dead
}

func writeFile(t *testing.T, path string, content []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const ordersHeader = "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id\n"

// TestImportExitCodes runs the built binary: exit 0 only when every row
// counted; any rejection, an empty file, a file without rows, a wrong
// --format or an undeclared encoding exit 1 with the reason, and each
// rejected row is printed with its line and why.
func TestImportExitCodes(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	run(t, nil, "registry", "load", "--data-dir", data, writeFile(t, filepath.Join(dir, "registry.json"), samples.File("registry.json")))
	gbk, err := os.ReadFile("../../ingest/file/testdata/orders-gbk.csv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		file       string
		content    string
		flags      []string
		wantExit   int
		wantOut    []string // each must appear in the output
		wantEvents int64    // events appended by this run
	}{
		{name: "samples orders", file: "orders.csv", content: string(samples.File("orders.csv")), wantOut: []string{"3 rows, 3 events appended, 0 duplicates, 0 rejected"}, wantEvents: 3},
		{name: "samples income", file: "income.csv", content: string(samples.File("income.csv")), wantOut: []string{"3 rows, 3 events appended"}, wantEvents: 3},
		{name: "xlsx", file: "orders.xlsx", content: string(mustRead(t, "../../ingest/file/testdata/orders.xlsx")), wantOut: []string{"3 rows, 3 events appended"}, wantEvents: 3},
		{name: "empty file", file: "empty.csv", content: "", wantExit: 1, wantOut: []string{"empty.csv has no rows: nothing imported"}},
		{name: "header only", file: "header.csv", content: ordersHeader, wantExit: 1, wantOut: []string{"header.csv has no rows"}},
		{name: "unknown format", file: "x.csv", content: ordersHeader, flags: []string{"--format", "xml"}, wantExit: 1, wantOut: []string{`--format: format "xml" is not "csv", "jsonl" or "xlsx"`}},
		{name: "wrong format", file: "orders2.csv", content: string(samples.File("orders.csv")), flags: []string{"--format", "jsonl"}, wantExit: 1,
			wantOut: []string{"4 rows, 0 events appended, 0 duplicates, 4 rejected", "line 1: not a JSON object", "line 4: not a JSON object", "4 of 4 rows of"}},
		{name: "CSV as xlsx", file: "orders3.csv", content: string(samples.File("orders.csv")), flags: []string{"--format", "xlsx"}, wantExit: 1, wantOut: []string{"unreadable xlsx workbook"}},
		{name: "GBK undeclared", file: "gbk.csv", content: string(gbk), wantExit: 1,
			wantOut: []string{"line 1 is not utf-8 text; it looks like GB18030/GBK", "pass --encoding gb18030"}},
		{name: "GBK declared", file: "gbk.csv", content: string(gbk), flags: []string{"--encoding", "gbk"}, wantOut: []string{"3 rows, 3 events appended"}, wantEvents: 3},
		{name: "implausible orders", file: "bad-orders.csv", content: ordersHeader +
			"832,X-1,1,832-FLW-0107,1,89.00,paid,1900-01-01 10:00:00,\n" +
			"832,X-2,1,832-FLW-0107,1,89.00,paid,2099-05-02 10:00:00,\n" +
			"taobao,X-3,1,832-FLW-0107,1,89.00,paid,2020-05-02 10:00:00,\n" +
			"832,X-4,1,832-FLW-0107,1,89.00,paid,2020-05-02 10:00:00,\n" +
			"832,X-4,1,832-FLW-0107,1,89.00,paid,2020-05-02 10:00:00,\n", wantExit: 1, wantEvents: 1,
			wantOut: []string{"5 rows, 1 events appended, 1 duplicates, 3 rejected",
				"line 2: order.paid: implausible input: created_at 1900-01-01 10:00:00 is before 2015-01-01",
				"line 3: order.paid: implausible input: created_at 2099-05-02 10:00:00 is in the future",
				`line 4: order.paid: implausible input: platform "taobao" is unknown`}},
		{name: "a narrower window", file: "window.csv", content: ordersHeader + "832,W-1,1,832-FLW-0107,1,89.00,paid,2020-05-02 10:00:00,\n",
			flags: []string{"--accept-from", "2021-01-01"}, wantExit: 1, wantOut: []string{"is before 2021-01-01 00:00:00"}},
		{name: "bad --accept-from", file: "window.csv", content: ordersHeader, flags: []string{"--accept-from", "2021-13-01"}, wantExit: 1, wantOut: []string{"--accept-from: date \"2021-13-01\""}},
		{name: "income refused", file: "bad-income.csv", content: "household_id,kind,amount,enterprise_id,occurred_at,reference\n" +
			"H-0404,wage,10.00,E-GARDEN,2020-05-02 10:00:00,R-1\n" +
			"H-0001,wage,10.00,E-NOWHERE,2020-05-02 10:00:00,R-2\n" +
			"110105194912310021,wage,10.00,E-GARDEN,2020-05-02 10:00:00,R-3\n" +
			"H-0001,wage,10.00,E-GARDEN,2020-05-02 10:00:00,R-4\n", wantExit: 1, wantEvents: 1,
			wantOut: []string{"4 rows, 1 events appended, 0 duplicates, 3 rejected",
				`line 2: income.recorded: not in the registry: household "H-0404" is not registered`,
				`line 3: income.recorded: not in the registry: enterprise "E-NOWHERE" is not registered`,
				"line 4: income.recorded: implausible input: household_id looks like an ID-card number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := logCounts(t, data)
			path := writeFile(t, filepath.Join(dir, tt.file), []byte(tt.content))
			out, code := runIn(t, dir, append(append([]string{"import", "--data-dir", data}, tt.flags...), path)...)
			if strings.Contains(out, "level=ERROR") {
				t.Errorf("an ERROR was logged:\n%s", out)
			}
			if code != tt.wantExit {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.wantExit, out)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out, want) {
					t.Errorf("output does not say %q:\n%s", want, out)
				}
			}
			if after, _ := logCounts(t, data); after-before != tt.wantEvents {
				t.Errorf("%d events appended, want %d", after-before, tt.wantEvents)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImportPrintsFirstRejections: 25 bad rows print the first 20 by line,
// then a count; the dead letters are named by the file's base name, so the
// same file imported under two spellings of its path is one source.
func TestImportPrintsFirstRejections(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	var b strings.Builder
	b.WriteString(ordersHeader)
	for i := range 25 {
		fmt.Fprintf(&b, "832,R-%d,1,S,1,1.001,paid,2020-05-02 10:00:00,\n", i)
	}
	writeFile(t, filepath.Join(dir, "a", "bad.csv"), []byte(b.String()))
	var outputs []string
	for _, spelled := range []string{"a/bad.csv", "./a/bad.csv", filepath.Join(dir, "a", "bad.csv")} {
		out, code := runIn(t, dir, "import", "--data-dir", data, spelled)
		if code != 1 {
			t.Fatalf("%s: exit %d, want 1:\n%s", spelled, code, out)
		}
		outputs = append(outputs, out)
	}
	out := outputs[0]
	if !strings.Contains(out, "line 2: amount \"1.001\"") || !strings.Contains(out, "line 21: ") || strings.Contains(out, "line 22: ") ||
		!strings.Contains(out, "... and 5 more") || !strings.Contains(out, "25 of 25 rows of a/bad.csv rejected") {
		t.Fatalf("want lines 2 to 21 printed, then 5 more counted:\n%s", out)
	}
	_, dead := logCounts(t, data)
	ids := map[string]bool{}
	for _, dl := range dead {
		if !strings.HasPrefix(dl.Source, "file:bad.csv:") {
			t.Fatalf("dead letter source %q, want file:bad.csv:<line>", dl.Source)
		}
		ids[dl.ID] = true
	}
	if len(dead) != 75 || len(ids) != 25 {
		t.Fatalf("%d dead letters with %d ids, want 3 imports of 25 rows giving the same 25 ids", len(dead), len(ids))
	}
}
