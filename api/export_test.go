package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/loquat-dev/loquat/api"
	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/internal/live"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// guardedAPI serves the API with authentication over a real SQLite read
// model (a generated district of 1,500 orders, and dead letters, some of
// whose raw bytes look like spreadsheet formulas) and a real accounts
// file; it returns the base URL and a bearer token per account.
func guardedAPI(t *testing.T) (string, map[string]string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	storetest.Generate(1, 1500).Project(t, store, 0)
	at := time.Date(2021, 1, 3, 10, 0, 0, 0, time.UTC)
	var dls []domain.DeadLetter
	for i := range 23 {
		raw := fmt.Sprintf(`{"order_id": "%d", "note": "坏数据"}`, i)
		switch i % 3 {
		case 1:
			raw = fmt.Sprintf(`=HYPERLINK("http://evil.example/%d","点我")`, i)
		case 2:
			raw = string([]byte{0xff, 0xfe, byte(i)}) // not UTF-8: raw_base64
		}
		dls = append(dls, domain.NewDeadLetter("douyin", fmt.Sprintf("reason %d", i), []byte(raw), at.Add(time.Duration(i)*time.Minute)))
	}
	if err := store.PutDeadLetters(ctx, dls); err != nil {
		t.Fatal(err)
	}
	svc, err := auth.Open(ctx, auth.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	tokens := map[string]string{}
	for _, a := range []auth.NewAccount{
		{Name: "audit", Role: auth.RoleAuditor, Password: "a long enough password"},
		{Name: "admin", Role: auth.RoleDistrictAdmin, Password: "a long enough password"},
		{Name: "e1", Role: auth.RoleEnterprise, EnterpriseID: "E1", Password: "a long enough password"},
		{Name: "v1", Role: auth.RoleVillage, VillageID: "V1", Password: "a long enough password"},
	} {
		if err := svc.AddAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		if tokens[a.Name], _, err = svc.IssueToken(ctx, a.Name, "test", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	r, err := api.NewRouter(api.Options{Queries: &projections.Queries{Store: store}, Auth: svc, Stream: api.StreamOptions{Hub: live.NewHub()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL, tokens
}

// fetch GETs url with a bearer token and returns the status, headers and body.
func fetch(t *testing.T, url, token string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
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

// allPages concatenates a list's JSON pages (7 rows a page), each item
// flattened to its JSON paths (income_by_category.wage_fen).
func allPages(t *testing.T, base, path, token string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for offset := 0; ; offset += 7 {
		status, _, body := fetch(t, fmt.Sprintf("%s%s%slimit=7&offset=%d", base, path, sep, offset), token)
		if status != http.StatusOK {
			t.Fatalf("GET %s offset %d: %d %s", path, offset, status, body)
		}
		var page struct {
			Items []map[string]any `json:"items"`
			Total int              `json:"total"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&page); err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			out = append(out, flatten("", item, map[string]any{}))
		}
		if offset+7 >= page.Total {
			if len(out) != page.Total {
				t.Fatalf("GET %s: %d items in all pages, total %d", path, len(out), page.Total)
			}
			return out
		}
	}
}

func flatten(prefix string, m map[string]any, out map[string]any) map[string]any {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			flatten(prefix+k+".", sub, out)
			continue
		}
		out[prefix+k] = v
	}
	return out
}

// checked is a column the test compares with the JSON: its JSON path,
// its Chinese header, and whether it is an amount (JSON fen, sheet yuan).
type checked struct {
	key, header string
	fen         bool
}

func fen(key, header string) checked  { return checked{key, header, true} }
func text(key, header string) checked { return checked{key, header, false} }

// TestExportsMatchJSON downloads every list as CSV and as .xlsx and reads
// both back: the same rows in the same order as the JSON API's pages
// concatenated, every amount equal to the fen, Chinese headers, a BOM on
// the CSV, the .xlsx header row frozen and its amounts number cells shown
// with two decimals — and one access-log entry per export.
func TestExportsMatchJSON(t *testing.T) {
	base, tokens := guardedAPI(t)
	lists := []struct {
		path    string
		token   string
		file    string
		columns []checked
	}{
		{"/api/v1/households?from=2021-01-01&to=2021-01-31", "audit", "households_2021-01-01_2021-01-31", []checked{text("household_id", "农户编号"), text("village_id", "村编号"),
			fen("attributed_sales_fen", "带货分成收入（元）"), fen("recorded_income_fen", "登记收入（元）"), fen("income_gain_fen", "增收（元）"),
			fen("income_by_category.operating_fen", "经营性收入（元）"), fen("income_by_category.wage_fen", "工资性收入（元）"),
			fen("per_capita_income_fen", "人均年收入（元）"), fen("baseline_income_fen", "基线年收入（元）"), text("members", "家庭人口")}},
		{"/api/v1/households", "e1", "households", []checked{text("household_id", "农户编号"), fen("attributed_sales_fen", "带货分成收入（元）")}},
		{"/api/v1/enterprises", "audit", "enterprises", []checked{text("enterprise_id", "企业编号"), fen("gmv_fen", "成交额（元）"), fen("refunds_fen", "退款额（元）"),
			fen("net_fen", "净销售额（元）"), fen("enterprise_share_fen", "企业分成（元）"), text("orders", "订单数"), text("households_reached", "带动户数")}},
		{"/api/v1/villages?sort=-collective_income_fen", "audit", "villages", []checked{text("village_id", "村编号"), fen("collective_income_fen", "村集体收入（元）"),
			fen("attributed_sales_fen", "带货分成收入（元）"), text("below_monitoring_line", "低于监测线户数")}},
		{"/api/v1/livestreams", "e1", "livestreams", []checked{text("id", "编号"), fen("net_fen", "净销售额（元）"), text("orders", "订单数")}},
		{"/api/v1/livestreams", "audit", "livestreams", []checked{text("id", "编号"), fen("gmv_fen", "成交额（元）"), fen("net_fen", "净销售额（元）"), text("buyers", "买家数")}},
		{"/api/v1/unattributed", "audit", "unattributed", []checked{text("sku_id", "SKU编号"), text("platform", "平台"), fen("gmv_fen", "成交额（元）"), text("lines", "订单行数")}},
		{"/api/v1/dead-letters", "admin", "dead-letters", []checked{text("id", "编号"), text("reason", "原因"), text("raw", "原始内容"), text("raw_base64", "原始内容（Base64）")}},
		{"/api/v1/conflicts", "admin", "conflicts", []checked{text("id", "编号"), text("key", "键")}},
		{"/api/v1/access-log", "audit", "access-log", []checked{text("seq", "序号"), text("account", "账号"), text("path", "路径"), text("query", "查询参数")}},
	}
	exports := 0
	for _, l := range lists {
		for _, format := range []string{"csv", "xlsx"} {
			t.Run(strings.TrimPrefix(l.path, "/api/v1/")+"/"+l.token+"/"+format, func(t *testing.T) {
				sep := "?"
				if strings.Contains(l.path, "?") {
					sep = "&"
				}
				status, h, body := fetch(t, base+l.path+sep+"format="+format, tokens[l.token])
				if status != http.StatusOK {
					t.Fatalf("export: %d %s", status, body)
				}
				exports++
				if want := `attachment; filename="` + l.file + "." + format + `"`; h.Get("Content-Disposition") != want {
					t.Errorf("Content-Disposition %q, want %q", h.Get("Content-Disposition"), want)
				}
				// After the export: the access log's JSON then holds the
				// export's own entry, as the export did.
				want := allPages(t, base, l.path, tokens[l.token])
				var rows [][]string
				if format == "csv" {
					rows = readCSV(t, body)
				} else {
					rows = readXLSX(t, body, l.columns)
				}
				compareRows(t, rows, want, l.columns, format == "csv")
				if l.file != "conflicts" && len(want) == 0 {
					t.Errorf("no rows: the comparison would prove nothing")
				}
			})
		}
	}
	// Every export is in the access log, under its account, with its query.
	var log struct {
		Items []auth.AccessEntry `json:"items"`
	}
	_, _, body := fetch(t, base+"/api/v1/access-log?limit=10000", tokens["audit"])
	if err := json.Unmarshal(body, &log); err != nil {
		t.Fatal(err)
	}
	logged := 0
	for _, e := range log.Items {
		if strings.Contains(e.Query, "format=") {
			logged++
			if e.Account == "" || e.Remote == "" || e.At.IsZero() {
				t.Errorf("export entry without who, from where or when: %+v", e)
			}
		}
	}
	if logged != exports || exports != 2*len(lists) {
		t.Errorf("%d exports logged, %d made (want %d)", logged, exports, 2*len(lists))
	}
}

func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(body, []byte("\xef\xbb\xbf"))
	if !ok {
		t.Fatalf("CSV without a UTF-8 byte-order mark: starts %q", body[:min(len(body), 8)])
	}
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// readXLSX reads the sheet's raw cell values (not formatted), checking on
// the way that the header row is frozen and that amounts are number cells
// with the 0.00 format.
func readXLSX(t *testing.T, body []byte, columns []checked) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	panes, err := f.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
		t.Errorf("panes %+v: want the first row frozen", panes)
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 {
		return rows
	}
	for _, c := range columns {
		if !c.fen {
			continue
		}
		col := indexOf(rows[0], c.header)
		if col < 0 {
			continue // compareRows reports it
		}
		cell, _ := excelize.CoordinatesToCellName(col+1, 2)
		typ, err := f.GetCellType(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		style, err := f.GetCellStyle(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(style)
		if err != nil {
			t.Fatal(err)
		}
		if (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) || st.NumFmt != 2 {
			t.Errorf("%s %s: cell type %v, number format %d; want a number shown 0.00 (format 2)", c.header, cell, typ, st.NumFmt)
		}
	}
	return rows
}

func indexOf(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	return -1
}

// compareRows checks the sheet's rows against the JSON items, column by
// column: ids and texts equal (CSV text starting with = gets the
// apostrophe that keeps Excel from running it), amounts equal to the fen.
func compareRows(t *testing.T, rows [][]string, want []map[string]any, columns []checked, csv bool) {
	t.Helper()
	if len(rows) == 0 {
		t.Fatal("no header row")
	}
	for _, h := range rows[0] {
		if !strings.ContainsFunc(h, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			t.Errorf("header %q is not Chinese", h)
		}
	}
	if len(rows)-1 != len(want) {
		t.Fatalf("%d rows exported, the JSON pages hold %d", len(rows)-1, len(want))
	}
	for _, c := range columns {
		col := indexOf(rows[0], c.header)
		if col < 0 {
			t.Errorf("no column %q (for %s) in %q", c.header, c.key, rows[0])
			continue
		}
		for i, item := range want {
			got := ""
			if col < len(rows[i+1]) {
				got = rows[i+1][col]
			}
			v, present := item[c.key]
			if c.fen {
				n, _ := v.(json.Number)
				wantFen, err := n.Int64()
				if err != nil {
					t.Fatalf("row %d %s: %v is not fen", i, c.key, v)
				}
				if gotFen, err := parseYuan(got); err != nil || gotFen != wantFen {
					t.Errorf("row %d %s: exported %q (%d fen, %v), JSON %d fen", i, c.header, got, gotFen, err, wantFen)
				}
				continue
			}
			wantText := ""
			if present {
				wantText = fmt.Sprint(v)
			}
			if csv && strings.HasPrefix(wantText, "=") {
				wantText = "'" + wantText // .xlsx cells are text; CSV has no types
			}
			if got != wantText {
				t.Errorf("row %d %s: exported %q, JSON %q", i, c.header, got, wantText)
			}
		}
	}
}

// parseYuan reads "1234.56", "-0.5" or "12" as fen, by the digits: an
// export whose yuan were off by a fen in any way fails.
func parseYuan(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" {
		return 0, fmt.Errorf("%q is not yuan to the fen", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	v := y*100 + f
	if neg {
		v = -v
	}
	return v, nil
}

// TestExportRefusals: a bad format, a page asked beside an export, an
// export beyond the caller's scope and one of a route that does not list
// are refused before any file starts.
func TestExportRefusals(t *testing.T) {
	base, tokens := guardedAPI(t)
	for _, tc := range []struct {
		path, token string
		status      int
		errHas      string
	}{
		{"/api/v1/households?format=pdf", "audit", 400, "format="},
		{"/api/v1/households?format=csv&limit=10", "audit", 400, "leave out limit and offset"},
		{"/api/v1/enterprises?format=xlsx&offset=1", "audit", 400, "leave out limit and offset"},
		{"/api/v1/access-log?format=csv&limit=5", "audit", 400, "leave out limit and offset"},
		{"/api/v1/access-log?format=ods", "audit", 400, "format"},
		{"/api/v1/dead-letters?format=csv", "e1", 403, "forbidden"},
		{"/api/v1/unattributed?format=xlsx", "e1", 403, "forbidden"},
		{"/api/v1/overview?format=csv", "audit", 400, `unknown parameter \"format\"`},
		{"/api/v1/enterprises/E1?format=csv", "audit", 400, `unknown parameter \"format\"`},
	} {
		status, h, body := fetch(t, base+tc.path, tokens[tc.token])
		if status != tc.status || !strings.Contains(string(body), tc.errHas) {
			t.Errorf("GET %s as %s: %d %s; want %d with %q", tc.path, tc.token, status, body, tc.status, tc.errHas)
		}
		if h.Get("Content-Disposition") != "" {
			t.Errorf("GET %s: refused, yet Content-Disposition %q", tc.path, h.Get("Content-Disposition"))
		}
	}
}
