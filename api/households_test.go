package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/loquat-dev/loquat/api"
	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// householdsAPI serves a generated district over a real SQLite read model
// behind real authentication, with a bearer token for each role.
type householdsAPI struct {
	url    string
	svc    *auth.Service
	tokens map[string]string
}

func startHouseholdsAPI(t *testing.T) householdsAPI {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	storetest.GenerateOverTime(12, 800).Project(t, store, 0)
	svc, err := auth.Open(ctx, auth.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	a := householdsAPI{svc: svc, tokens: map[string]string{}}
	for _, acc := range []auth.NewAccount{
		{Name: "staff", Role: auth.RoleDistrictStaff},
		{Name: "auditor", Role: auth.RoleAuditor},
		{Name: "e1", Role: auth.RoleEnterprise, EnterpriseID: "E1"},
		{Name: "v1", Role: auth.RoleVillage, VillageID: "V1"},
	} {
		acc.Password = "a long enough password"
		if err := svc.AddAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
		if a.tokens[acc.Name], _, err = svc.IssueToken(ctx, acc.Name, "test", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	now := func() time.Time { return time.Date(2022, 1, 5, 12, 0, 0, 0, domain.ChinaTime) }
	r, err := api.NewRouter(api.Options{Queries: &projections.Queries{Store: store, Now: now}, Auth: svc})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

// get answers the body of GET path as the account.
func (a householdsAPI) get(t *testing.T, account, path string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", a.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.tokens[account])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

func (a householdsAPI) getJSON(t *testing.T, account, path string, out any) int {
	t.Helper()
	status, _, body := a.get(t, account, path)
	if status == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return status
}

// TestStatementAPI reads statements as JSON and as .xlsx: both add up to
// the household answer of the same period, to the fen; only district
// roles and the household's village see one, and each read is logged.
func TestStatementAPI(t *testing.T) {
	a := startHouseholdsAPI(t)
	for _, period := range []string{"", "?from=2021-01-02&to=2021-01-07", "?to=2021-01-04"} {
		var h projections.HouseholdSummary
		var st projections.Statement
		if s := a.getJSON(t, "staff", "/api/v1/households/H102"+period, &h); s != 200 {
			t.Fatalf("household %s: HTTP %d", period, s)
		}
		if s := a.getJSON(t, "staff", "/api/v1/households/H102/statement"+period, &st); s != 200 {
			t.Fatalf("statement %s: HTTP %d", period, s)
		}
		var lines, income domain.Fen
		for _, l := range st.Lines {
			lines += l.AmountFen
		}
		for _, in := range st.Income {
			income += in.AmountFen
		}
		if len(st.Lines) == 0 || lines != h.AttributedSalesFen || income != h.RecordedIncomeFen || st.IncomeGainFen != h.IncomeGainFen ||
			st.IncomeByCategory != h.IncomeByCategory || st.PerCapitaIncomeFen != h.PerCapitaIncomeFen || st.MonitoringLineFen != h.MonitoringLineFen {
			t.Errorf("statement %s: %d lines summing to %d, income %d, gain %d, per capita %d; household: %d, %d, %d, %d", period,
				len(st.Lines), lines, income, st.IncomeGainFen, st.PerCapitaIncomeFen, h.AttributedSalesFen, h.RecordedIncomeFen, h.IncomeGainFen, h.PerCapitaIncomeFen)
		}

		sep := "?"
		if period != "" {
			sep = "&"
		}
		status, header, body := a.get(t, "auditor", "/api/v1/households/H102/statement"+period+sep+"format=xlsx")
		if status != 200 || !strings.Contains(header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("statement xlsx %s: HTTP %d %s", period, status, header.Get("Content-Type"))
		}
		totals, lineSum := readStatementXLSX(t, body)
		want := map[string]domain.Fen{"销售分成": h.AttributedSalesFen, "记录收入": h.RecordedIncomeFen, "收入增加": h.IncomeGainFen,
			"经营性收入": h.IncomeByCategory.OperatingFen, "工资性收入": h.IncomeByCategory.WageFen, "财产性收入": h.IncomeByCategory.PropertyFen,
			"转移性收入": h.IncomeByCategory.TransferFen, "人均纯收入": h.PerCapitaIncomeFen, "监测线": h.MonitoringLineFen}
		for label, fen := range want {
			if got, ok := totals[label]; !ok || got != fen {
				t.Errorf("statement xlsx %s: %s %d fen (present %v), want %d", period, label, got, ok, fen)
			}
		}
		if lineSum != h.AttributedSalesFen {
			t.Errorf("statement xlsx %s: its lines sum to %d fen, want %d", period, lineSum, h.AttributedSalesFen)
		}
	}

	for _, tc := range []struct {
		account, path string
		status        int
	}{
		{"v1", "/api/v1/households/H102/statement", 200},
		{"v1", "/api/v1/households/H202/statement", 404},
		{"e1", "/api/v1/households/H102/statement", 404},
		{"e1", "/api/v1/households/H102/statement?format=xlsx", 404},
		{"staff", "/api/v1/households/H999/statement", 404},
		{"staff", "/api/v1/households/H102/statement?format=pdf", 400},
		{"staff", "/api/v1/households/H102/statement?limit=5", 400},
	} {
		if status, _, body := a.get(t, tc.account, tc.path); status != tc.status {
			t.Errorf("GET %s as %s: HTTP %d %s, want %d", tc.path, tc.account, status, body, tc.status)
		}
	}
	log, _, err := a.svc.AccessLog(context.Background(), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	logged := map[string]bool{}
	for _, e := range log {
		logged[e.Account+" "+e.Path] = true
	}
	for _, want := range []string{"staff /api/v1/households/H102/statement", "auditor /api/v1/households/H102/statement",
		"v1 /api/v1/households/H202/statement", "e1 /api/v1/households/H102/statement"} {
		if !logged[want] {
			t.Errorf("the access log has no read %q", want)
		}
	}
}

// readStatementXLSX reads a statement workbook back: the totals block by
// label (fen), and the sum of the order-line table's amounts.
func readStatementXLSX(t *testing.T, body []byte) (map[string]domain.Fen, domain.Fen) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	fen := func(cell string) domain.Fen {
		v, err := strconv.ParseFloat(cell, 64)
		if err != nil {
			t.Fatalf("cell %q is not a number: %v", cell, err)
		}
		return domain.Fen(math.Round(v * 100))
	}
	totals := map[string]domain.Fen{}
	var lineSum domain.Fen
	section := ""
	for _, row := range rows {
		switch {
		case len(row) == 0:
			section = ""
		case section == "" && slices.Equal(row, []string{"时间", "类型", "平台", "订单号", "行号", "产品", "企业", "直播间", "金额(元)"}):
			section = "lines"
		case section == "" && len(row) == 2 && row[0] == "合计":
			section = "totals"
		case section == "lines":
			lineSum += fen(row[8])
		case section == "totals":
			totals[row[0]] = fen(row[1])
		}
	}
	return totals, lineSum
}

type monitoringAnswer struct {
	Items []projections.MonitoringItem `json:"items"`
	Total int                          `json:"total"`
	AsAt  string                       `json:"as_at"`
}

// TestMonitoringAPI lists the monitoring list with each filter, paging and
// export, in each role's scope.
func TestMonitoringAPI(t *testing.T) {
	a := startHouseholdsAPI(t)
	var all monitoringAnswer
	if s := a.getJSON(t, "staff", "/api/v1/monitoring?to=2022-01-02&limit=10000", &all); s != 200 {
		t.Fatalf("monitoring: HTTP %d", s)
	}
	if all.AsAt != "2022-01-02" || all.Total != len(all.Items) || all.Total == 0 {
		t.Fatalf("monitoring as at 2022-01-02: as at %s, %d of %d items", all.AsAt, len(all.Items), all.Total)
	}
	reasons := map[string]bool{}
	for _, it := range all.Items {
		for _, r := range it.Reasons {
			reasons[r] = true
		}
	}
	if len(reasons) < 2 {
		t.Fatalf("monitoring: reasons %v; the data set should give several", reasons)
	}
	subset := func(keep func(projections.MonitoringItem) bool) []string {
		out := []string{}
		for _, it := range all.Items {
			if keep(it) {
				out = append(out, it.HouseholdID)
			}
		}
		return out
	}
	for _, tc := range []struct {
		account, query string
		want           []string
	}{
		{"staff", "village_id=V2", subset(func(it projections.MonitoringItem) bool { return it.VillageID == "V2" })},
		{"staff", "reason=income_drop", subset(func(it projections.MonitoringItem) bool { return slices.Contains(it.Reasons, "income_drop") })},
		{"staff", "reason=below_line&village_id=V3", subset(func(it projections.MonitoringItem) bool {
			return it.VillageID == "V3" && slices.Contains(it.Reasons, "below_line")
		})},
		{"staff", "category=监测户", []string{}},
		{"staff", "category=脱贫户", subset(func(projections.MonitoringItem) bool { return true })},
		{"auditor", "limit=3&offset=2", subset(func(projections.MonitoringItem) bool { return true })[2:5]},
		{"v1", "", subset(func(it projections.MonitoringItem) bool { return it.VillageID == "V1" })},
	} {
		var got monitoringAnswer
		path := "/api/v1/monitoring?to=2022-01-02&" + tc.query
		if s := a.getJSON(t, tc.account, path, &got); s != 200 {
			t.Errorf("GET %s as %s: HTTP %d", path, tc.account, s)
			continue
		}
		ids := []string{}
		for _, it := range got.Items {
			ids = append(ids, it.HouseholdID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("GET %s as %s: %v, want %v", path, tc.account, ids, tc.want)
		}
	}
	var today monitoringAnswer
	if s := a.getJSON(t, "staff", "/api/v1/monitoring", &today); s != 200 || today.AsAt != "2022-01-05" {
		t.Errorf("monitoring without to: HTTP %d as at %q, want today 2022-01-05", s, today.AsAt)
	}
	for _, tc := range []struct {
		account, path string
		status        int
	}{
		{"e1", "/api/v1/monitoring", 403},
		{"e1", "/api/v1/monitoring?format=xlsx", 403},
		{"v1", "/api/v1/monitoring?village_id=V2", 404},
		{"staff", "/api/v1/monitoring?village_id=V9", 404},
		{"staff", "/api/v1/monitoring?reason=poor", 400},
		{"staff", "/api/v1/monitoring?sort=id", 400},
		{"staff", "/api/v1/monitoring?from=2021-01-01", 400},
	} {
		if status, _, body := a.get(t, tc.account, tc.path); status != tc.status {
			t.Errorf("GET %s as %s: HTTP %d %s, want %d", tc.path, tc.account, status, body, tc.status)
		}
	}

	// The export holds every row with the same figures.
	status, _, body := a.get(t, "staff", "/api/v1/monitoring?to=2022-01-02&format=xlsx")
	if status != 200 {
		t.Fatalf("monitoring xlsx: HTTP %d", status)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != all.Total+1 || rows[0][0] != "农户编号" {
		t.Fatalf("monitoring xlsx: %d rows, want a header and %d", len(rows), all.Total)
	}
	for i, it := range all.Items {
		row := rows[i+1]
		perCapita, err := strconv.ParseFloat(row[7], 64)
		if err != nil || row[0] != it.HouseholdID || domain.Fen(math.Round(perCapita*100)) != it.PerCapitaIncomeFen {
			t.Errorf("monitoring xlsx row %d: %v; want %s with per capita %d fen", i+1, row, it.HouseholdID, it.PerCapitaIncomeFen)
		}
	}
}

// TestSessionsAPI serves a livestream's sessions as its answer lists them.
func TestSessionsAPI(t *testing.T) {
	a := startHouseholdsAPI(t)
	var streams struct {
		Items []projections.LivestreamSummary `json:"items"`
	}
	if s := a.getJSON(t, "staff", "/api/v1/livestreams", &streams); s != 200 || len(streams.Items) == 0 {
		t.Fatalf("livestreams: HTTP %d, %d items", s, len(streams.Items))
	}
	id := streams.Items[0].ID
	var ls projections.LivestreamSummary
	if s := a.getJSON(t, "staff", "/api/v1/livestreams/"+id, &ls); s != 200 {
		t.Fatalf("livestream %s: HTTP %d", id, s)
	}
	var sessions projections.LivestreamSessions
	if s := a.getJSON(t, "staff", "/api/v1/livestreams/"+id+"/sessions", &sessions); s != 200 {
		t.Fatalf("sessions of %s: HTTP %d", id, s)
	}
	var orders int64
	var net domain.Fen
	for _, s := range sessions.Items {
		orders += s.Orders
		net += s.NetFen
	}
	if len(ls.Sessions) == 0 || !slices.EqualFunc(sessions.Items, ls.Sessions, func(a, b projections.LivestreamSession) bool { return a == b }) ||
		orders != ls.Orders || net != ls.NetFen || sessions.SessionGapMinutes != 120 {
		t.Errorf("sessions of %s: %d sessions, %d orders, %d fen net; the livestream: %d sessions, %d orders, %d fen",
			id, len(sessions.Items), orders, net, len(ls.Sessions), ls.Orders, ls.NetFen)
	}
	for _, tc := range []struct {
		account, path string
		status        int
	}{
		{"v1", "/api/v1/livestreams/" + id + "/sessions", 403},
		{"staff", "/api/v1/livestreams/douyin:404/sessions", 404},
		{"staff", "/api/v1/livestreams/douyin/sessions", 400},
	} {
		if status, _, body := a.get(t, tc.account, tc.path); status != tc.status {
			t.Errorf("GET %s as %s: HTTP %d %s, want %d", tc.path, tc.account, status, body, tc.status)
		}
	}
}
