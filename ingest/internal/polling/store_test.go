package polling

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// fakeStore is a sink and a cursor store that fail when told to.
type fakeStore struct {
	fail    error
	cursors map[string]string
	dead    []domain.DeadLetter
}

func (f *fakeStore) Append(context.Context, ...domain.Event) error { return f.fail }
func (f *fakeStore) DeadLetter(_ context.Context, dl domain.DeadLetter) error {
	f.dead = append(f.dead, dl)
	return f.fail
}
func (f *fakeStore) Load(_ context.Context, name string) (string, bool, error) {
	v, ok := f.cursors[name]
	return v, ok, f.fail
}
func (f *fakeStore) Save(_ context.Context, name, cursor string) error {
	if f.fail == nil {
		f.cursors[name] = cursor
	}
	return f.fail
}

func TestStore(t *testing.T) {
	now := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	t.Run("check names what is missing", func(t *testing.T) {
		err := Store{Platform: "test"}.Check()
		if err == nil || !strings.Contains(err.Error(), "test: sink is nil") || !strings.Contains(err.Error(), "test: cursor store is nil") {
			t.Errorf("error %v, want the sink and the cursor store named", err)
		}
		f := &fakeStore{}
		if err := (Store{Platform: "test", Sink: f, Cursors: f}).Check(); err != nil {
			t.Errorf("error %v, want none", err)
		}
	})
	t.Run("cursor and dead letter", func(t *testing.T) {
		f := &fakeStore{cursors: map[string]string{}}
		s := Store{Platform: "test", Sink: f, Cursors: f, CursorName: "mine", Now: func() time.Time { return now }}
		if _, ok, err := s.LoadCursor(ctx); ok || err != nil {
			t.Errorf("load before a save: %t, %v", ok, err)
		}
		if err := s.SaveCursor(ctx, "here"); err != nil || f.cursors["mine"] != "here" {
			t.Errorf("save: %v, cursors %v", err, f.cursors)
		}
		if got, ok, err := s.LoadCursor(ctx); got != "here" || !ok || err != nil {
			t.Errorf("load: %q, %t, %v", got, ok, err)
		}
		if err := s.DeadLetter(ctx, "test order 1: bad", []byte("raw")); err != nil {
			t.Fatal(err)
		}
		if d := f.dead[0]; d.Source != "test" || d.Reason != "test order 1: bad" || string(d.Raw) != "raw" || !d.ReceivedAt.Equal(now) {
			t.Errorf("dead letter %+v", d)
		}
	})
	t.Run("failures say what failed", func(t *testing.T) {
		down := errors.New("down")
		f := &fakeStore{fail: down}
		s := Store{Platform: "test", Sink: f, Cursors: f, CursorName: "mine", Now: func() time.Time { return now }}
		_, _, loadErr := s.LoadCursor(ctx)
		for _, c := range []struct {
			err  error
			want string
		}{
			{loadErr, `loading cursor "mine": down`},
			{s.SaveCursor(ctx, "x"), `saving cursor "mine": down`},
			{s.DeadLetter(ctx, "r", nil), "keeping a dead letter: down"},
		} {
			if c.err == nil || c.err.Error() != c.want || !errors.Is(c.err, down) {
				t.Errorf("error %v, want %q wrapping the failure", c.err, c.want)
			}
		}
	})
}

func TestLogger(t *testing.T) {
	if Logger(nil, "test", "mine") == nil {
		t.Fatal("a nil logger was not replaced")
	}
	var got []string
	h := slog.NewTextHandler(writerFunc(func(p []byte) { got = append(got, string(p)) }), nil)
	Logger(slog.New(h), "test", "mine").Info("hello")
	if len(got) != 1 || !strings.Contains(got[0], "platform=test") || !strings.Contains(got[0], "poller=mine") {
		t.Errorf("logged %q, want the platform and the poller named", got)
	}
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }
