package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestMonitoringThresholdFlags serves with the monitoring thresholds set
// by flag and reads them back from the monitoring list's answer.
func TestMonitoringThresholdFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args       []string
		near, drop int64
	}{
		{nil, 10, 30},
		{[]string{"--monitor-near-line-pct", "60", "--monitor-drop-pct", "5"}, 60, 5},
	} {
		args := append([]string{"--data-dir", t.TempDir(), "serve", "--addr", "127.0.0.1:0"}, tc.args...)
		p := start(t, nil, args...)
		url := p.waitURL(t, time.Minute)
		resp, err := http.Get(url + "/api/v1/monitoring?to=2020-05-01")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got struct {
			NearLinePct int64 `json:"near_line_pct"`
			DropPct     int64 `json:"drop_pct"`
		}
		if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("loquat %v: monitoring answers HTTP %d %s", tc.args, resp.StatusCode, body)
		}
		if got.NearLinePct != tc.near || got.DropPct != tc.drop {
			t.Errorf("loquat %v: thresholds %d%% and %d%%, want %d%% and %d%%", tc.args, got.NearLinePct, got.DropPct, tc.near, tc.drop)
		}
		p.stop(t)
	}
}
