package platformsim

import (
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestTraffic(t *testing.T) {
	var tr Traffic
	if tr.Requests() != 0 || len(tr.Answered()) != 0 {
		t.Fatal("the zero Traffic counted something")
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { tr.Arrive(); tr.Count("ok") })
	}
	wg.Wait()
	if n := tr.Arrive(); n != 11 {
		t.Errorf("the 11th request is number %d", n)
	}
	w := httptest.NewRecorder()
	tr.Fail(w)
	if w.Code != 500 {
		t.Errorf("Fail answered %d, want 500", w.Code)
	}
	got := tr.Answered()
	if tr.Requests() != 11 || !reflect.DeepEqual(got, map[string]int{"ok": 10, "500": 1}) {
		t.Errorf("%d requests, answers %v", tr.Requests(), got)
	}
	got["ok"] = 0
	if tr.Answered()["ok"] != 10 {
		t.Error("Answered returned the counts themselves, not a copy")
	}
}

func TestEvery(t *testing.T) {
	for _, tt := range []struct {
		n, period int
		want      bool
	}{{1, 0, false}, {3, 3, true}, {6, 3, true}, {4, 3, false}, {1, 1, true}} {
		if got := Every(tt.n, tt.period); got != tt.want {
			t.Errorf("Every(%d, %d) = %t", tt.n, tt.period, got)
		}
	}
}

type version struct {
	name        string
	at, visible time.Time
}

func (v *version) times() (time.Time, *time.Time) { return v.at, &v.visible }

func TestSettleAndCurrent(t *testing.T) {
	t0 := time.Date(2020, 5, 1, 10, 0, 0, 0, time.UTC)
	in := []version{
		{name: "paid", at: t0},
		{name: "shipped", at: t0.Add(time.Hour), visible: t0.Add(3 * time.Hour)}, // the index lags
		{name: "done", at: t0.Add(2 * time.Hour)},
	}
	vs, err := Settle(in, (*version).times)
	if err != nil {
		t.Fatal(err)
	}
	if !vs[0].visible.Equal(t0) || !in[0].visible.IsZero() {
		t.Error("Settle did not fill in a copy")
	}
	visible := func(v version) time.Time { return v.visible }
	for _, tt := range []struct {
		now    time.Time
		want   string
		wantOK bool
	}{
		{time.Time{}, "done", true},
		{t0.Add(-time.Minute), "", false},
		{t0.Add(90 * time.Minute), "paid", true}, // shipped not visible yet
		{t0.Add(2 * time.Hour), "done", true},
	} {
		v, ok := Current(vs, visible, tt.now)
		if v.name != tt.want || ok != tt.wantOK {
			t.Errorf("at %s: %q, %t; want %q, %t", tt.now, v.name, ok, tt.want, tt.wantOK)
		}
	}
	if _, err := Settle([]version{{at: t0}, {at: t0.Add(-time.Second)}}, (*version).times); err == nil {
		t.Error("versions out of time order were settled")
	}
}

func TestTotals(t *testing.T) {
	var tot Totals
	tot.AddSale(1000)
	tot.AddSale(500)
	tot.AddRefund(300)
	if tot != (Totals{GMVFen: 1500, RefundsFen: 300, NetFen: 1200}) {
		t.Errorf("%+v", tot)
	}
}
