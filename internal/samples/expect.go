package samples

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
	"github.com/loquat-dev/loquat/projections"
)

// The figures of samples/README.md, all time, in fen (see sampledata).
var (
	WantGMV, WantRefunds, WantNet = sampledata.WantGMV, sampledata.WantRefunds, sampledata.WantNet
	WantHouseholds                = sampledata.WantHouseholds
	WantCollectives               = sampledata.WantCollectives
	WantEnterprises               = sampledata.WantEnterprises
	WantReached                   = sampledata.WantReached
	WantByDay                     = sampledata.WantByDay
	WantRecordedIncome            = sampledata.WantRecordedIncome
)

// GetJSON fetches baseURL+path and decodes the JSON answer into out,
// failing the test on any status but 200.
func GetJSON(t testing.TB, baseURL, path string, out any) {
	t.Helper()
	resp, err := http.Get(baseURL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e map[string]any
		json.NewDecoder(resp.Body).Decode(&e)
		t.Fatalf("GET %s: HTTP %d %v", path, resp.StatusCode, e)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: decode: %v", path, err)
	}
}

// CheckAPI asserts every figure of samples/README.md through the HTTP API:
// the overview, by day, every household, collective and enterprise, the
// households reached, the recorded income, and that households +
// collectives + enterprises + unattributed add up to net.
func CheckAPI(t testing.TB, baseURL string) {
	t.Helper()
	CheckAPIPeriod(t, baseURL, "")
}

// CheckAPIPeriod is CheckAPI with a period query such as
// "?from=2020-01-01&to=2020-12-31" on every request, for a read model that
// also holds other data outside that period.
func CheckAPIPeriod(t testing.TB, baseURL, query string) {
	t.Helper()
	var ov projections.Overview
	GetJSON(t, baseURL, "/api/v1/overview"+query, &ov)
	if ov.GMVFen != WantGMV || ov.RefundsFen != WantRefunds || ov.NetFen != WantNet {
		t.Errorf("overview GMV/refunds/net = %d/%d/%d fen, want %d/%d/%d", ov.GMVFen, ov.RefundsFen, ov.NetFen, WantGMV, WantRefunds, WantNet)
	}
	if ov.HouseholdsReached != WantReached {
		t.Errorf("households reached = %d, want %d", ov.HouseholdsReached, WantReached)
	}
	if ov.UnattributedFen != 0 {
		t.Errorf("unattributed = %d fen, want 0", ov.UnattributedFen)
	}
	if ov.Orders != 6 || ov.RefundedOrders != 3 {
		t.Errorf("orders/refunded orders = %d/%d, want 6/3", ov.Orders, ov.RefundedOrders)
	}
	days := map[string]projections.Money{}
	for _, d := range ov.ByDay {
		days[d.Date] = d.Money
	}
	for day, want := range WantByDay {
		if days[day] != want {
			t.Errorf("by day %s = %+v, want %+v", day, days[day], want)
		}
	}
	if len(days) != len(WantByDay) {
		t.Errorf("by day has %d days, want %d: %+v", len(days), len(WantByDay), ov.ByDay)
	}
	var sum domain.Fen
	for id, want := range WantHouseholds {
		var h projections.HouseholdSummary
		GetJSON(t, baseURL, "/api/v1/households/"+id+query, &h)
		if h.AttributedSalesFen != want {
			t.Errorf("household %s attributed sales = %d fen, want %d", id, h.AttributedSalesFen, want)
		}
		if h.RecordedIncomeFen != WantRecordedIncome[id] {
			t.Errorf("household %s recorded income = %d fen, want %d", id, h.RecordedIncomeFen, WantRecordedIncome[id])
		}
		if h.IncomeGainFen != want+WantRecordedIncome[id] {
			t.Errorf("household %s income gain = %d fen, want %d", id, h.IncomeGainFen, want+WantRecordedIncome[id])
		}
		sum += h.AttributedSalesFen
	}
	for id, want := range WantCollectives {
		var v projections.VillageSummary
		GetJSON(t, baseURL, "/api/v1/villages/"+id+query, &v)
		if v.CollectiveIncomeFen != want {
			t.Errorf("village %s collective income = %d fen, want %d", id, v.CollectiveIncomeFen, want)
		}
		sum += v.CollectiveIncomeFen
	}
	for id, want := range WantEnterprises {
		var e projections.EnterpriseSummary
		GetJSON(t, baseURL, "/api/v1/enterprises/"+id+query, &e)
		if e.EnterpriseShareFen != want {
			t.Errorf("enterprise %s share = %d fen, want %d", id, e.EnterpriseShareFen, want)
		}
		sum += e.EnterpriseShareFen
	}
	if sum+ov.UnattributedFen != ov.NetFen {
		t.Errorf("households + collectives + enterprises + unattributed = %d fen, net = %d", sum+ov.UnattributedFen, ov.NetFen)
	}
	CheckSumIdentity(t, baseURL, query)
}

// CheckSumIdentity asserts, through the list endpoints, that for the period
// query (e.g. "?from=2020-05-01&to=2020-05-01") every household's attributed
// sales, collective and enterprise share plus unattributed add up to net.
func CheckSumIdentity(t testing.TB, baseURL, query string) {
	t.Helper()
	var ov projections.Overview
	GetJSON(t, baseURL, "/api/v1/overview"+query, &ov)
	sep := "?"
	if query != "" {
		sep = "&"
	}
	var hh projections.Page[projections.HouseholdSummary]
	GetJSON(t, baseURL, "/api/v1/households"+query+sep+"limit=10000", &hh)
	var vv projections.Page[projections.VillageSummary]
	GetJSON(t, baseURL, "/api/v1/villages"+query+sep+"limit=10000", &vv)
	var ee projections.Page[projections.EnterpriseSummary]
	GetJSON(t, baseURL, "/api/v1/enterprises"+query+sep+"limit=10000", &ee)
	if hh.Total > len(hh.Items) || vv.Total > len(vv.Items) || ee.Total > len(ee.Items) {
		t.Fatalf("more than 10000 rows; page through them")
	}
	var sum domain.Fen
	for _, h := range hh.Items {
		sum += h.AttributedSalesFen
	}
	for _, v := range vv.Items {
		sum += v.CollectiveIncomeFen
	}
	for _, e := range ee.Items {
		sum += e.EnterpriseShareFen
	}
	if sum+ov.UnattributedFen != ov.NetFen {
		t.Errorf("period %q: households + collectives + enterprises + unattributed = %d fen, net = %d", query, sum+ov.UnattributedFen, ov.NetFen)
	}
}

// Describe is a one-line summary of an overview, for failure messages.
func Describe(ov projections.Overview) string { return sampledata.Describe(ov) }
