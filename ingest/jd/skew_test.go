package jd_test

import (
	"context"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// TestPlatformClockBehind: with JD's clock 3 minutes behind ours (within
// the 6 JD accepts), a window ending at our now less the safety lag ends
// in JD's future; orders modified there after it was read fell behind the
// cursor, the overlap being shorter than the skew. The poller reads JD's
// clock from its answers' Date, ends windows and the cursor no later than
// it allows, and finds every order.
func TestPlatformClockBehind(t *testing.T) {
	r := newClockedRig(t, jdsim.Options{}, nil)
	platformNow := china("2020-06-01 12:00:00")
	r.Clock.Set(platformNow)
	book, err := jdsim.Generate(jdsim.GenerateOptions{From: platformNow.Add(-30 * time.Minute), Span: 40 * time.Minute, Orders: 300, Seed: 7})
	mustNoErr(t, err)
	mustNoErr(t, r.Sim.AddOrders(book.Orders...))
	cfg := r.config(platformNow.Add(-time.Hour))
	cfg.Now = func() time.Time { return r.Clock.Now().Add(3 * time.Minute) } // ours, ahead
	cfg.Overlap = time.Second
	p := r.poller(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mustNoErr(t, p.RunOnce(ctx))
	r.Clock.Set(platformNow.Add(10 * time.Minute))
	mustNoErr(t, p.RunOnce(ctx))

	seen := map[string]bool{}
	for _, e := range r.Sink.Events() {
		if c, ok := e.(*domain.OrderCreated); ok {
			seen[c.OrderID] = true
		}
	}
	// Every order whose current version JD shows by then lies well inside
	// the last window (ours less the lag less the skew is JD's +9m).
	var missed, want int
	for _, o := range book.Orders {
		v := current(o.Versions, r.Clock.Now())
		if v == nil || v.Modified.After(platformNow.Add(8*time.Minute)) {
			continue
		}
		want++
		if !seen[o.ID] {
			missed++
		}
	}
	if missed > 0 || want == 0 {
		t.Errorf("%d of %d orders modified by JD's +8m missed", missed, want)
	}
	if got := p.Status().PlatformBehind; got < 2*time.Minute || got > 3*time.Minute {
		t.Errorf("status: JD's clock %s behind; want about 3m", got)
	}
}

// current is the version JD shows at now.
func current(vs []jdsim.Version, now time.Time) *jdsim.Version {
	var v *jdsim.Version
	for i := range vs {
		visible := vs[i].Visible
		if visible.IsZero() {
			visible = vs[i].Modified
		}
		if !visible.After(now) {
			v = &vs[i]
		}
	}
	return v
}
