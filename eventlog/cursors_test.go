package eventlog_test

import (
	"context"
	"testing"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/eventlog/sqlite"
)

func TestCursorStoreSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	open := func() *sqlite.Log {
		l, err := sqlite.Open(sqlite.Config{Dir: dir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := open()
	s := eventlog.NewCursorStore(l)
	if _, ok, err := s.Load(ctx, "jd"); err != nil || ok {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	for _, c := range []string{"2020-05-01 00:00:00", "2020-05-01 00:30:00"} {
		if err := s.Save(ctx, "jd", c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Save(ctx, "kuaishou", "window=1;pcursor=abc"); err != nil {
		t.Fatal(err)
	}
	l.Close()

	l = open()
	defer l.Close()
	s = eventlog.NewCursorStore(l)
	for name, want := range map[string]string{"jd": "2020-05-01 00:30:00", "kuaishou": "window=1;pcursor=abc"} {
		got, ok, err := s.Load(ctx, name)
		if err != nil || !ok || got != want {
			t.Errorf("cursor %s after reopen: %q %v %v, want %q", name, got, ok, err, want)
		}
	}
}
