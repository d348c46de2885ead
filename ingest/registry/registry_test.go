package registry_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
)

// TestLoadIntoLogEncodings loads registry files in several encodings into
// a real SQLite event log: UTF-8 with or without a BOM loads; GBK, UTF-16
// and unknown bytes are refused naming the likely encoding, and nothing is
// appended.
func TestLoadIntoLogEncodings(t *testing.T) {
	const village = `{"district":{"id":"D","name":"d","monitoring_line_fen":650000},"villages":[{"id":"V-1","name":"萍湖村","town":"常太镇"}]}`
	for _, tc := range []struct {
		name   string
		data   []byte
		errHas string // "": loads
	}{
		{"utf-8", []byte(village), ""},
		{"utf-8 with BOM", append([]byte("\xef\xbb\xbf"), village...), ""},
		{"gbk", gbk(t, village), "looks like GB18030/GBK"},
		{"utf-16", []byte("\xff\xfe{\x00}\x00"), "UTF-16"},
		{"latin-1", []byte(strings.ReplaceAll(village, "萍湖村", "caf\xe9")), "not recognised"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			log, err := server.OpenLog(dir, server.LogConfig{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer log.Close()
			path := dir + "/registry.json"
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = registry.LoadIntoLog(context.Background(), path, log, registry.Options{})
			reg, rerr := eventlog.ReadRegistry(context.Background(), log)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if tc.errHas == "" {
				if err != nil || reg.Villages["V-1"].Name != "萍湖村" {
					t.Fatalf("not loaded: %v; villages %v", err, reg.Villages)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "not UTF-8") || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("error %v, want one saying not UTF-8 and %q", err, tc.errHas)
			}
			if len(reg.Villages) != 0 || reg.District.ID != "" {
				t.Errorf("a refused file appended to the log: %+v", reg)
			}
		})
	}
}

// TestLoadOntoSampleIsIdempotent: the sample loaded twice appends nothing
// the second time.
func TestLoadOntoSampleIsIdempotent(t *testing.T) {
	log, err := server.OpenLog(t.TempDir(), server.LogConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	ctx := context.Background()
	for i, want := range []registry.Summary{
		{Villages: 3, Households: 5, Enterprises: 2, Listings: 4, New: 15, Appended: 15},
		{Villages: 3, Households: 5, Enterprises: 2, Listings: 4, Unchanged: 15},
	} {
		current, err := eventlog.ReadRegistry(ctx, log)
		if err != nil {
			t.Fatal(err)
		}
		got, err := registry.LoadOnto(ctx, samples.File("registry.json"), current, eventlog.NewWriter(log.Publisher()), registry.Options{Replace: true})
		if err != nil || got != want {
			t.Errorf("load %d: %+v, %v; want %+v", i+1, got, err, want)
		}
	}
}

// gbk is s as a Chinese office's Excel would save it.
func gbk(t *testing.T, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
