package main_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// TestDemoAnswersOverview runs `loquat demo` as a user would and checks the
// API answers with non-zero figures that add up for every period.
func TestDemoAnswersOverview(t *testing.T) {
	p := start(t, nil, "demo", "--addr", "127.0.0.1:0", "--day", "2020-04-30")
	url := p.waitURL(t, 2*time.Minute)
	withBearer(t, demoAccounts(t, p)["district_admin"].token)

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
	// A livestream day with messages pushed twice and polled orders read
	// again in later states: duplicates, never conflicts.
	var conflicts projections.Page[domain.Conflict]
	samples.GetJSON(t, url, "/api/v1/conflicts", &conflicts)
	if conflicts.Total != 0 {
		t.Errorf("%d conflicts in the demo day: %+v", conflicts.Total, conflicts.Items)
	}
	p.stop(t)
}

// TestDemoWritesNothingLaterThanNow runs `loquat demo` with its default day
// and reads back everything it wrote to the event log: no time in any event,
// registry entry or poller cursor is later than now.
func TestDemoWritesNothingLaterThanNow(t *testing.T) {
	data := t.TempDir()
	p := start(t, nil, "demo", "--keep", "--data-dir", data, "--addr", "127.0.0.1:0")
	url := p.waitURL(t, 2*time.Minute)
	withBearer(t, demoAccounts(t, p)["district_admin"].token)
	var ov projections.Overview
	samples.GetJSON(t, url, "/api/v1/overview", &ov)
	p.stop(t)
	now := time.Now()
	if ov.Orders < 2500 {
		t.Fatalf("demo overview: %s; want the whole demo day", samples.Describe(ov))
	}
	for _, d := range ov.ByDay {
		if d.Date > domain.Day(now) {
			t.Errorf("overview has sales on %s, after today", d.Date)
		}
	}

	log, err := server.OpenLog(data, server.LogConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	checked := 0
	for _, topic := range []string{eventlog.TopicEvents, eventlog.TopicRegistry, eventlog.TopicCursors, eventlog.TopicDeadLetters} {
		for _, payload := range readTopic(t, log, topic) {
			for _, at := range timesIn(t, payload) {
				checked++
				if at.After(now) {
					t.Errorf("%s: %s is later than now (%s): %s", topic, at.Format(time.RFC3339), now.Format(time.RFC3339), payload)
				}
			}
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d times found in the demo's event log", checked)
	}
}

// readTopic reads a topic of the log from its start to its current end.
func readTopic(t *testing.T, log eventlog.Backend, topic string) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	end, err := log.End(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	if end[0] == 0 {
		return nil
	}
	sub, err := log.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: "test-read", ResumeAfter: eventlog.Positions{}, Transient: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var payloads [][]byte
	for {
		select {
		case msg := <-ch:
			msg.Ack()
			payloads = append(payloads, msg.Payload)
			if pos, err := eventlog.PositionOf(msg); err != nil || pos.Offset >= end[0] {
				return payloads
			}
		case <-ctx.Done():
			t.Fatalf("%s: read %d messages of %d", topic, len(payloads), end[0])
		}
	}
}

// timesIn returns every RFC 3339 time in a JSON payload (a cursor is
// plain text and may be one).
func timesIn(t *testing.T, payload []byte) []time.Time {
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		v = string(payload)
	}
	var out []time.Time
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			if at, err := time.Parse(time.RFC3339Nano, x); err == nil {
				out = append(out, at)
			}
		}
	}
	walk(v)
	return out
}
