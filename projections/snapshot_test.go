package projections

import (
	"context"
	"errors"
	"testing"
)

func TestSnapshot(t *testing.T) {
	loads := 0
	state := 7
	fail := false
	load := func() (int, error) {
		loads++
		if fail {
			return 0, errors.New("server gone")
		}
		return state, nil
	}
	ctx := context.Background()

	// Without a snapshot every read loads the latest state.
	for want := 7; want <= 8; want++ {
		state = want
		if got, err := Snapshot(ctx, load); err != nil || got != want {
			t.Fatalf("without a snapshot: %d, %v; want %d", got, err, want)
		}
	}
	if loads != 2 {
		t.Errorf("%d loads without a snapshot, want 2", loads)
	}

	// With one, the first successful load is kept: a failed one is not.
	loads = 0
	snap := WithReadSnapshot(ctx)
	fail = true
	if _, err := Snapshot(snap, load); err == nil {
		t.Fatal("a failed load gave no error")
	}
	if v, ok := SnapshotValue[int](snap); ok {
		t.Errorf("SnapshotValue before a good load: %d, want none", v)
	}
	fail = false
	state = 9
	if got, _ := Snapshot(snap, load); got != 9 {
		t.Errorf("first read %d, want 9", got)
	}
	if v, ok := SnapshotValue[int](snap); !ok || v != 9 {
		t.Errorf("SnapshotValue after the load: %d, %v; want 9", v, ok)
	}
	if _, ok := SnapshotValue[int](ctx); ok {
		t.Error("SnapshotValue without a snapshot says there is one")
	}
	state = 10
	if got, _ := Snapshot(WithReadSnapshot(snap), load); got != 9 {
		t.Errorf("a later read of the same snapshot %d, want 9 (nested WithReadSnapshot keeps it)", got)
	}
	if loads != 2 {
		t.Errorf("%d loads in the snapshot, want 2 (the failed one and the first good one)", loads)
	}
	// A value of another type (another store's state) is loaded apart.
	if got, _ := Snapshot(snap, func() (string, error) { return "other", nil }); got != "other" {
		t.Errorf("another type: %q", got)
	}
	if got, _ := Snapshot(WithReadSnapshot(ctx), load); got != 10 {
		t.Errorf("a new snapshot: %d, want 10", got)
	}
}
