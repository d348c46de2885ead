package main_test

import (
	"testing"
	"time"

	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
)

// TestDemoAnswersOverview runs `loquat demo` as a user would and checks the
// API answers with non-zero figures that add up for every period.
func TestDemoAnswersOverview(t *testing.T) {
	p := start(t, nil, "demo", "--addr", "127.0.0.1:0", "--day", "2020-04-30")
	url := p.waitURL(t, 2*time.Minute)

	var ov projections.Overview
	samples.GetJSON(t, url, "/api/v1/overview", &ov)
	if ov.GMVFen <= 0 || ov.NetFen <= 0 || ov.Orders < 2500 || ov.HouseholdsReached == 0 || ov.RefundedOrders == 0 {
		t.Fatalf("demo overview: %s, %d refunded orders, %d households reached", samples.Describe(ov), ov.RefundedOrders, ov.HouseholdsReached)
	}
	if share := float64(ov.RefundedOrders) / float64(ov.Orders); share < 0.02 || share > 0.04 {
		t.Errorf("refunded orders %.1f%%, want about 3%%", 100*share)
	}
	for _, q := range []string{"", "?from=2020-04-30&to=2020-04-30", "?from=2020-05-01", "?to=2020-04-30", "?from=2020-05-01&to=2020-05-31"} {
		samples.CheckSumIdentity(t, url, q)
	}
	var stream projections.LivestreamSummary
	samples.GetJSON(t, url, "/api/v1/livestreams/douyin:6823941120781224715", &stream)
	if stream.PeakMinute == nil || stream.PeakMinute.Orders < 10 || stream.Orders < 1000 {
		t.Errorf("livestream: %d orders, peak %+v; want a burst of at least 10 orders in a minute", stream.Orders, stream.PeakMinute)
	}
	platforms := map[string]projections.PlatformFigs{}
	for _, p := range ov.ByPlatform {
		platforms[p.Platform] = p
	}
	for _, name := range []string{"douyin", "jd", "kuaishou", "832"} {
		if platforms[name].GMVFen <= 0 || platforms[name].Orders == 0 {
			t.Errorf("channel %s: %+v; want sales from every channel", name, platforms[name])
		}
	}
	var streams projections.Page[projections.LivestreamSummary]
	samples.GetJSON(t, url, "/api/v1/livestreams", &streams)
	kuaishouStreams := 0
	for _, s := range streams.Items {
		if s.Platform == "kuaishou" && s.Orders > 0 {
			kuaishouStreams++
		}
	}
	if kuaishouStreams == 0 {
		t.Errorf("no Kuaishou distributor livestream among %d", streams.Total)
	}
	var top projections.Page[projections.HouseholdSummary]
	samples.GetJSON(t, url, "/api/v1/households?sort=-recorded_income_fen&limit=1", &top)
	if len(top.Items) != 1 || top.Items[0].RecordedIncomeFen <= 0 || top.Items[0].IncomeGainFen < top.Items[0].RecordedIncomeFen {
		t.Errorf("no household with recorded income from the enterprises' ledgers: %+v", top.Items)
	}
	var un projections.Page[projections.UnattributedItem]
	samples.GetJSON(t, url, "/api/v1/unattributed", &un)
	if un.Total != 1 || un.Items[0].NetFen != ov.UnattributedFen {
		t.Errorf("unattributed: %+v, overview says %d fen", un, ov.UnattributedFen)
	}
	p.stop(t)
}
