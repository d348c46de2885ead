package ingesttest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestKiller(t *testing.T) {
	for _, tt := range []struct {
		name      string
		early     bool
		wantSeen  []bool // whether each request's handler found ctx ended
		wantEnded int    // the request after which ctx had ended
	}{
		{"after the answer", false, []bool{false, false}, 2},
		{"before the answer", true, []bool{false, true}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var seen []bool
			k := &Killer{}
			srv := httptest.NewServer(k.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { seen = append(seen, ctx.Err() != nil) })))
			defer srv.Close()
			k.Arm(2, tt.early, cancel)
			ended := 0
			for i := 1; i <= 3 && ended == 0; i++ {
				resp, err := http.Get(srv.URL)
				MustNoErr(t, err)
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if ctx.Err() != nil {
					ended = i
				}
			}
			if ended != tt.wantEnded || !reflect.DeepEqual(seen, tt.wantSeen) {
				t.Errorf("ended after request %d, handlers saw it ended: %v; want %d, %v", ended, seen, tt.wantEnded, tt.wantSeen)
			}
		})
	}
	t.Run("disarmed", func(t *testing.T) {
		k := &Killer{}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		k.Arm(1, false, cancel)
		k.Disarm()
		srv := httptest.NewServer(k.Wrap(http.NotFoundHandler()))
		defer srv.Close()
		if resp, err := http.Get(srv.URL); err == nil {
			resp.Body.Close()
		}
		if ctx.Err() != nil {
			t.Error("a disarmed killer cancelled")
		}
	})
}

func TestOutage(t *testing.T) {
	srv := httptest.NewServer(Outage(2)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer srv.Close()
	var codes []int
	for range 3 {
		resp, err := http.Get(srv.URL)
		MustNoErr(t, err)
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 502 || codes[1] != 502 || codes[2] != 200 {
		t.Errorf("answers %v, want two 502s, then 200", codes)
	}
}
