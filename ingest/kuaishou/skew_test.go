package kuaishou_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// TestPlatformClockBehind: with the platform's clock 5 minutes behind ours
// (within the 10 it accepts), a window ending at our now less the safety
// lag ends in the platform's future; orders updated there after it was
// read fell behind the cursor, the overlap being shorter than the skew.
// The poller reads the platform's clock from its answers' Date, ends
// windows and the cursor no later than it allows, and finds every order.
func TestPlatformClockBehind(t *testing.T) {
	r := newClockedRig(t, kuaishousim.Options{}, nil)
	platformNow := china("2020-06-01 12:00:00")
	r.Clock.Set(platformNow)
	book, err := kuaishousim.Generate(kuaishousim.GenerateOptions{From: platformNow.Add(-30 * time.Minute), Span: 40 * time.Minute, Orders: 300, Seed: 7})
	mustNoErr(t, err)
	mustNoErr(t, r.Sim.AddOrders(book.Orders...))
	cfg := r.config(platformNow.Add(-time.Hour))
	cfg.Now = func() time.Time { return r.Clock.Now().Add(5 * time.Minute) } // ours, ahead
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
	// Every order whose current version the platform shows by then lies
	// well inside the last window (ours less the lag less the skew is the
	// platform's +9m).
	var missed, want int
	for _, o := range book.Orders {
		v := current(o.Versions, r.Clock.Now())
		if v == nil || v.Updated.After(platformNow.Add(8*time.Minute)) {
			continue
		}
		want++
		if !seen[strconv.FormatInt(o.Oid, 10)] {
			missed++
		}
	}
	if missed > 0 || want == 0 {
		t.Errorf("%d of %d orders updated by the platform's +8m missed", missed, want)
	}
	if got := p.Status().PlatformBehind; got < 4*time.Minute || got > 5*time.Minute {
		t.Errorf("status: the platform's clock %s behind; want about 5m", got)
	}
}

// current is the version the platform shows at now.
func current(vs []kuaishousim.Version, now time.Time) *kuaishousim.Version {
	var v *kuaishousim.Version
	for i := range vs {
		visible := vs[i].Visible
		if visible.IsZero() {
			visible = vs[i].Updated
		}
		if !visible.After(now) {
			v = &vs[i]
		}
	}
	return v
}
