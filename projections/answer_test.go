package projections_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// heldAfter is a store whose snapshots hold from the given answer on: the
// answers before it are composed again.
type heldAfter struct {
	*sqlite.Store
	from   int64
	checks atomic.Int64
}

func (s *heldAfter) SnapshotHeld(ctx context.Context, answerErr error) bool {
	return s.checks.Add(1) >= s.from
}

// TestAnswerComposedAgain checks Queries against a store that says its
// snapshot did not hold (projections.SnapshotChecker): the answer is
// composed again, under a new snapshot, until it holds — the same figures
// as a store that never says so — and after five attempts the answer is
// an error naming ErrSnapshotChanged, not figures.
func TestAnswerComposedAgain(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds := storetest.Generate(3, 200)
	ds.Project(t, db, 0)
	want, err := (&projections.Queries{Store: db}).Overview(ctx, projections.Period{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		from      int64
		wantErr   bool
		wantCheck int64
	}{
		{"held at once", 1, false, 1},
		{"held at the third", 3, false, 3},
		{"never held", 100, true, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &heldAfter{Store: db, from: tt.from}
			got, err := (&projections.Queries{Store: s}).Overview(ctx, projections.Period{})
			if tt.wantErr {
				if !errors.Is(err, projections.ErrSnapshotChanged) {
					t.Errorf("error %v, want ErrSnapshotChanged", err)
				}
			} else if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v (%v), want %+v", got, err, want)
			}
			if n := s.checks.Load(); n != tt.wantCheck {
				t.Errorf("composed %d times, want %d", n, tt.wantCheck)
			}
		})
	}
}
