package console_test

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/loquat-dev/loquat/domain"
)

// exportCase is one console table and how its rows read back from the
// API's export of the same list.
type exportCase struct {
	page, table string
	list        string   // the API list the links must name, without format
	idCols      []string // the export's headers whose values, joined by ':', are the row's data-id
	money       string   // a money field: its data-field in the table and its header, in yuan
	moneyHeader string
}

// TestDownloads: every console table offers 下载 Excel / CSV links naming
// the API's export of the same list with the page's filters, and the file
// each gives the signed-in session (its cookie, nothing else) holds the
// table's rows, in its order, with the same money to the fen.
func TestDownloads(t *testing.T) {
	base := startServer(t, true)
	browser := newBrowser(t)
	period := "from=2020-04-01&to=2020-05-31"
	cases := map[string][]exportCase{
		"admin": {
			{page: "/livestreams?" + period, table: "livestreams", list: "/api/v1/livestreams?" + period + "&sort=-gmv_fen",
				idCols: []string{"编号"}, money: "gmv_fen", moneyHeader: "成交额（元）"},
			{page: "/enterprises", table: "enterprises", list: "/api/v1/enterprises?sort=-gmv_fen",
				idCols: []string{"企业编号"}, money: "gmv_fen", moneyHeader: "成交额（元）"},
			{page: "/villages", table: "villages", list: "/api/v1/villages",
				idCols: []string{"村编号"}, money: "collective_income_fen", moneyHeader: "村集体收入（元）"},
			{page: "/households?village_id=V-PINGHU", table: "households", list: "/api/v1/households?village_id=V-PINGHU",
				idCols: []string{"农户编号"}, money: "attributed_sales_fen", moneyHeader: "带货分成收入（元）"},
			{page: "/villages/V-PINGHU?" + period, table: "households", list: "/api/v1/households?" + period + "&village_id=V-PINGHU",
				idCols: []string{"农户编号"}, money: "attributed_sales_fen", moneyHeader: "带货分成收入（元）"},
			{page: "/quality", table: "unattributed", list: "/api/v1/unattributed",
				idCols: []string{"平台", "SKU编号"}, money: "gmv_fen", moneyHeader: "成交额（元）"},
			{page: "/quality", table: "dead-letters", list: "/api/v1/dead-letters", idCols: []string{"编号"}},
			{page: "/quality", table: "conflicts", list: "/api/v1/conflicts", idCols: []string{"编号"}},
		},
		// An enterprise's households are its shares of them.
		"helper": {
			{page: "/households", table: "households", list: "/api/v1/households",
				idCols: []string{"农户编号"}, money: "attributed_sales_fen", moneyHeader: "带货分成收入（元）"},
		},
	}
	for _, a := range accounts {
		cs, ok := cases[a.name]
		if !ok {
			continue
		}
		t.Run(a.name, func(t *testing.T) {
			tb := newTab(t, browser, base)
			tb.signIn(a, "/")
			rows := 0
			for _, c := range cs {
				tb.open(c.page)
				for _, format := range []string{"xlsx", "csv"} {
					rows += checkDownload(t, tb, c, format)
				}
			}
			if rows == 0 {
				t.Fatal("every table was empty: the comparisons prove nothing")
			}
		})
	}
}

// checkDownload checks one table's link in one format and returns how
// many rows it compared.
func checkDownload(t *testing.T, tb *tab, c exportCase, format string) int {
	t.Helper()
	what := c.page + " #" + c.table + " " + format
	var href string
	tb.eval(fmt.Sprintf(`(() => { const a = document.querySelector('.downloads[data-for=%q] a[data-format=%q]'); return a ? a.getAttribute('href') : ''; })()`,
		c.table, format), &href)
	if href == "" {
		t.Errorf("%s: no download link", what)
		return 0
	}
	sep := "?"
	if strings.Contains(c.list, "?") {
		sep = "&"
	}
	if !sameURL(t, href, c.list+sep+"format="+format) {
		t.Errorf("%s: link %s, want the API's %s with format=%s", what, href, c.list, format)
	}
	var got struct {
		Status int
		Type   string
		Body   string
	}
	tb.eval(fmt.Sprintf(`fetch(%q).then(async r => { const b = new Uint8Array(await r.arrayBuffer()); let s = '';
		for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
		return {Status: r.status, Type: r.headers.get('content-type') || '', Body: btoa(s)}; })`, href), &got)
	if got.Status != 200 {
		t.Errorf("%s: GET %s: HTTP %d", what, href, got.Status)
		return 0
	}
	body, err := base64.StdEncoding.DecodeString(got.Body)
	if err != nil {
		t.Fatal(err)
	}
	var records [][]string
	if format == "csv" {
		records, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	} else {
		var f *excelize.File
		if f, err = excelize.OpenReader(bytes.NewReader(body)); err == nil {
			records, err = f.GetRows(f.GetSheetName(0))
			f.Close()
		}
	}
	if err != nil || len(records) == 0 {
		t.Errorf("%s: %s (%s) does not read back: %v", what, href, got.Type, err)
		return 0
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	cell := func(r []string, header string) string {
		i, ok := col[header]
		if !ok {
			t.Fatalf("%s: no column %q in %q", what, header, records[0])
		}
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	var ids []string
	var fen []int64
	for _, r := range records[1:] {
		var parts []string
		for _, h := range c.idCols {
			parts = append(parts, cell(r, h))
		}
		ids = append(ids, strings.Join(parts, ":"))
		if c.money != "" {
			y, err := domain.ParseYuan(cell(r, c.moneyHeader))
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			fen = append(fen, int64(y))
		}
	}
	table := "#" + c.table
	shown := tb.rowIDs(table)
	equalSlices(t, what+" rows", ids, shown)
	if c.money != "" {
		var want []int64
		for _, id := range shown {
			want = append(want, tb.rowFen(table, id, c.money))
		}
		equalSlices(t, what+" "+c.money, fen, want)
	}
	return len(ids)
}

// sameURL is whether two URLs name the same path with the same query
// parameters, in whatever order.
func sameURL(t *testing.T, a, b string) bool {
	t.Helper()
	ua, err := url.Parse(a)
	if err != nil {
		t.Fatal(err)
	}
	ub, err := url.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return ua.Path == ub.Path && ua.Query().Encode() == ub.Query().Encode()
}
