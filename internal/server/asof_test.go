package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/api"
	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestAsOf: on each store, the read model as of a day equals a fresh read
// model rebuilt from the log truncated at the end of that day (a second
// log holding only what was recorded by then), to every answer; later
// events, dead letters and all, are left out; the API's as_of answers
// from it, and refuses today and malformed days.
func TestAsOf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) server.StoreConfig
	}{
		{"sqlite", func(*testing.T) server.StoreConfig { return server.StoreConfig{} }},
		{"clickhouse", clickhouseStore},
	} {
		t.Run(tc.name, func(t *testing.T) { testAsOf(t, tc.store) })
	}
}

func testAsOf(t *testing.T, storeConfig func(t *testing.T) server.StoreConfig) {
	ctx := context.Background()
	ds := storetest.Generate(7, 200)
	half := len(ds.Feed.Events) / 2
	monday := time.Date(2026, 11, 2, 15, 0, 0, 0, domain.ChinaTime)
	friday := time.Date(2026, 11, 6, 9, 0, 0, 0, domain.ChinaTime)
	today := time.Date(2026, 12, 1, 10, 0, 0, 0, domain.ChinaTime)
	early := domain.NewDeadLetter("file:early.csv:2", "amount: missing", []byte("a,b"), monday)
	late := domain.NewDeadLetter("file:late.csv:2", "amount: missing", []byte("c,d"), friday)

	// append writes what was recorded on Monday and, unless mondayOnly, on
	// Friday, to the log of a data dir.
	appendLog := func(dir string, mondayOnly bool) eventlog.Backend {
		t.Helper()
		log, err := server.OpenLog(dir, logConfig(), nil)
		if err != nil {
			t.Fatal(err)
		}
		w := eventlog.NewWriter(log.Publisher())
		at := monday
		w.Now = func() time.Time { return at }
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(w.Append(ctx, ds.Feed.Registry...))
		must(w.Append(ctx, ds.Feed.Events[:half]...))
		must(w.DeadLetter(ctx, early))
		if !mondayOnly {
			at = friday
			must(w.Append(ctx, ds.Feed.Events[half:]...))
			must(w.DeadLetter(ctx, late))
		}
		return log
	}
	// rebuilt is the read model `loquat rebuild` makes of a data dir's log.
	rebuilt := func(dir string, store server.StoreConfig) projections.Store {
		t.Helper()
		if _, err := server.Rebuild(ctx, dir, logConfig(), store, nil, nil); err != nil {
			t.Fatal(err)
		}
		s, err := server.OpenStore(ctx, dir, store)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}

	truncatedDir := t.TempDir()
	appendLog(truncatedDir, true).Close()
	truncated := rebuilt(truncatedDir, storeConfig(t))
	liveDir := t.TempDir()
	log := appendLog(liveDir, false)
	defer log.Close()

	asOf, err := server.NewAsOf(server.AsOfOptions{
		Log: log,
		Open: func(ctx context.Context, day string) (projections.Store, func() error, error) {
			s, err := server.OpenStore(ctx, t.TempDir(), storeConfig(t))
			if err != nil {
				return nil, nil, err
			}
			return s, s.Close, nil
		},
		Keep: 1,
		Now:  func() time.Time { return today },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer asOf.Close()
	read := func(day string) projections.Reader {
		t.Helper()
		r, release, err := asOf.Reader(ctx, day)
		if err != nil {
			t.Fatalf("as of %s: %v", day, err)
		}
		t.Cleanup(release)
		return r
	}

	// As of Monday evening (and Thursday): what Monday recorded, no more.
	want := storetest.Answers(t, &projections.Queries{Store: truncated, Now: func() time.Time { return today }})
	for _, day := range []string{"2026-11-02", "2026-11-05"} {
		got := storetest.Answers(t, &projections.Queries{Store: read(day), Now: func() time.Time { return today }})
		storetest.CompareAnswers(t, want, got, "truncated log rebuilt", "as of "+day)
	}
	// As of Friday: everything; the day before Monday: nothing.
	all, err := (&projections.Queries{Store: read("2026-11-06")}).Overview(ctx, projections.Period{})
	if err != nil || all.GMVFen != ds.Want.GMV || all.RefundsFen != ds.Want.Refunds {
		t.Errorf("as of Friday: GMV %d, refunds %d, %v; want the whole data set's %d, %d", all.GMVFen, all.RefundsFen, err, ds.Want.GMV, ds.Want.Refunds)
	}
	none, err := (&projections.Queries{Store: read("2026-11-01")}).Overview(ctx, projections.Period{})
	if err != nil || none.GMVFen != 0 || none.Orders != 0 {
		t.Errorf("as of the Sunday before: GMV %d, %d orders, %v; want nothing", none.GMVFen, none.Orders, err)
	}

	// The API: as_of answers from the day's model, without it from the live one.
	live := rebuilt(liveDir, storeConfig(t))
	queries := &projections.Queries{Store: projections.RoutedReader(live), Now: func() time.Time { return today }}
	router, err := api.NewRouter(api.Options{Queries: queries, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router)
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	asJSON := func(v any, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	tq := &projections.Queries{Store: truncated, Now: func() time.Time { return today }}
	lq := &projections.Queries{Store: live, Now: func() time.Time { return today }}
	for _, c := range []struct {
		path, want string
	}{
		{"/api/v1/overview?as_of=2026-11-03", asJSON(tq.Overview(ctx, projections.Period{}))},
		{"/api/v1/overview", asJSON(lq.Overview(ctx, projections.Period{}))},
		{"/api/v1/dead-letters?as_of=2026-11-03", asJSON(tq.DeadLetters(ctx, projections.Paging{Limit: 100}))},
		{"/api/v1/dead-letters", asJSON(lq.DeadLetters(ctx, projections.Paging{Limit: 100}))},
	} {
		if code, body := get(c.path); code != http.StatusOK || body != c.want {
			t.Errorf("GET %s: %d\n%s\nwant 200\n%s", c.path, code, body, c.want)
		}
	}
	if _, body := get("/api/v1/overview"); body == asJSON(tq.Overview(ctx, projections.Period{})) {
		t.Error("the live overview equals Monday's: the data set's second half changed nothing")
	}
	for _, bad := range []string{"2026-12-01", "2026-12-24", "2026-13-01", "yesterday"} {
		if code, body := get("/api/v1/overview?as_of=" + bad); code != http.StatusBadRequest {
			t.Errorf("as_of=%s: %d %s, want 400", bad, code, body)
		}
	}
	// Days beyond Keep are dropped once no request reads them, and built
	// again when asked for.
	for _, day := range []string{"2026-11-03", "2026-11-04", "2026-11-03"} {
		r, release, err := asOf.Reader(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		ov, err := (&projections.Queries{Store: r}).Overview(ctx, projections.Period{})
		release()
		if want := asJSON(tq.Overview(ctx, projections.Period{})); err != nil || asJSON(ov, nil) != want {
			t.Errorf("as of %s, asked again: %v\n%s\nwant\n%s", day, err, asJSON(ov, nil), want)
		}
	}
}
