package samples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
)

var update = flag.Bool("update", false, "rewrite sampledata/events.golden.json from the adapters")

// TestEventsAreGolden: the real adapters turn the samples into exactly the
// events sampledata keeps, which the store conformance suite projects
// without building any adapter.
func TestEventsAreGolden(t *testing.T) {
	reg, events, err := samples.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var g sampledata.Golden
	if g.Registry, err = sampledata.Encode(reg); err != nil {
		t.Fatal(err)
	}
	if g.Events, err = sampledata.Encode(events); err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(g, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("sampledata", sampledata.GoldenFile)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := sampledata.File(sampledata.GoldenFile); !bytes.Equal(got, want) {
		t.Errorf("the adapters' events differ from %s; if the change is meant, run go test ./internal/samples -run TestEventsAreGolden -update\ngot:\n%s", path, got)
	}
	wantReg, wantEvents, err := sampledata.Events()
	if err != nil {
		t.Fatal(err)
	}
	if len(wantReg) != len(reg) || len(wantEvents) != len(events) {
		t.Errorf("sampledata.Events gives %d registry and %d other events, the adapters %d and %d", len(wantReg), len(wantEvents), len(reg), len(events))
	}
	for i := range min(len(wantEvents), len(events)) {
		if wantEvents[i].ID() != events[i].ID() {
			t.Errorf("event %d: decoded id %s, the adapters' %s", i, wantEvents[i].ID(), events[i].ID())
		}
	}
}
