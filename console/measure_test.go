//go:build consolemeasure

package console_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/file"
	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/demo"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// The measurements behind BENCHMARKS.md's console section, built only
// with the consolemeasure tag (they time things and take minutes, so CI
// does not run them; a tag rather than a skip, which scripts/test.sh
// refuses):
//
//	go test -tags consolemeasure -count=1 -v -timeout 30m \
//	  -run '^TestMeasure(PageReady|Freshness)$' ./console/
//
// LOQUAT_CONSOLE_MEASURE_ORDERS sets the data set's size (default 200,000).

// TestMeasurePageReady loads the overview, a livestream's and a
// household's page 30 times each on a node holding a year of generated
// orders (the demo district's listings, as `loquat bench reads` makes
// them, without refunds), and logs the time from navigation to the page
// being ready: loaded, console.js run and every chart drawn (ECharts has
// an option for it).
func TestMeasurePageReady(t *testing.T) {
	orders := 200000
	if s := os.Getenv("LOQUAT_CONSOLE_MEASURE_ORDERS"); s != "" {
		var err error
		if orders, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	node, err := server.Open(ctx, server.Config{DataDir: filepath.Join(dir, "data"), Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node stopped with: %v", err)
		}
	})
	today := time.Now().In(domain.ChinaTime)
	first := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, domain.ChinaTime).AddDate(0, 0, -365)
	reg, err := demo.Registry(domain.Day(first))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Append(ctx, reg, node.Writer()); err != nil {
		t.Fatal(err)
	}
	csvPath := filepath.Join(dir, "orders.csv")
	writeYear(t, csvPath, first, orders)
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	start := time.Now()
	sum, err := file.Import(ctx, f, info.Size(), file.Options{Source: "file:orders.csv", BatchSize: 1000}, node.Writer())
	if err != nil || sum.Rejected > 0 {
		t.Fatalf("import: %v, %d rejected", err, sum.Rejected)
	}
	if err := node.CaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d orders imported and projected in %v", orders, time.Since(start).Round(time.Second))

	var ls projections.Page[projections.LivestreamSummary]
	getJSON(t, node.URL()+"/api/v1/livestreams?limit=1&sort=-gmv_fen", &ls)
	var hs projections.Page[projections.HouseholdSummary]
	getJSON(t, node.URL()+"/api/v1/households?limit=1", &hs)
	if len(ls.Items) == 0 || len(hs.Items) == 0 {
		t.Fatal("no livestream or household to load")
	}
	// A tab as newTab makes, with a longer bound for 90 loads.
	bctx, stopTab := chromedp.NewContext(newBrowser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(stopTab)
	bctx, stop := context.WithTimeout(bctx, 20*time.Minute)
	t.Cleanup(stop)
	tb := &tab{t: t, ctx: bctx, base: node.URL()}
	for _, page := range []string{"/", "/livestreams/" + ls.Items[0].ID, "/households/" + hs.Items[0].HouseholdID} {
		tb.open(page) // warm: templates, the browser's cache of the assets
		var times []time.Duration
		for range 30 {
			t0 := time.Now()
			tb.run(chromedp.Navigate(tb.base+page), chromedp.WaitReady(`body[data-ready="true"]`))
			tb.waitFor(`[...document.querySelectorAll('.chart')].every(el => { const c = echarts.getInstanceByDom(el); return c && (c.getOption().series || []).length > 0; })`)
			times = append(times, time.Since(t0))
		}
		t.Logf("page ready %s: p50 %v p99 %v (n=%d) — load: %s", page, quantile(times, 0.5), quantile(times, 0.99), len(times), uptime())
		// The server's share: the page's HTML alone, over plain HTTP.
		var html []time.Duration
		for range 30 {
			t0 := time.Now()
			resp, err := http.Get(tb.base + page)
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %v", page, resp.StatusCode, err)
			}
			html = append(html, time.Since(t0))
		}
		t.Logf("page HTML %s: p50 %v p99 %v (n=%d)", page, quantile(html, 0.5), quantile(html, 0.99), len(html))
		api := "/api/v1/overview"
		if page != "/" {
			api = "/api/v1" + page
		}
		var apiT []time.Duration
		for range 30 {
			t0 := time.Now()
			var v any
			getJSON(t, tb.base+api, &v)
			apiT = append(apiT, time.Since(t0))
		}
		t.Logf("API %s: p50 %v p99 %v (n=%d)", api, quantile(apiT, 0.5), quantile(apiT, 0.99), len(apiT))
	}
}

// TestMeasureFreshness pushes 20 Douyin orders, one at a time, to the
// room of TestLiveRoomFollowsDouyinPush with its page open, and logs the
// time from each push being answered to the page showing it.
func TestMeasureFreshness(t *testing.T) {
	room := startDouyinRoom(t)
	tb := newTab(t, newBrowser(t), room.node.URL())
	tb.open("/livestreams/" + room.id)
	tb.waitFor(`document.querySelector('.live.on') !== null`)
	var times []time.Duration
	for range 20 {
		var before projections.LivestreamSummary
		tb.api("/api/v1/livestreams/"+room.id, &before)
		room.push(t)
		answered := time.Now()
		shown := tb.waitUntil(fmt.Sprintf(`document.querySelector('[data-field=orders] [data-count]').dataset.count === '%d'`, before.Orders+1),
			answered.Add(time.Minute))
		times = append(times, shown.Sub(answered))
	}
	t.Logf("push answered → page shows it: p50 %v p99 %v max %v (n=%d) — load: %s", quantile(times, 0.5), quantile(times, 0.99),
		slices.Max(times), len(times), uptime())
}

// quantile is the nearest-rank q-quantile.
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))].Round(time.Millisecond)
}

func uptime() string {
	out, err := exec.Command("uptime").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// writeYear writes orders over the 365 days from first, in time order:
// one line each of a demo listing at a random time of its day; a Douyin
// room is live three evenings a week and sells a third of those days'
// Douyin orders (as internal/bench's data set, without its refunds).
func writeYear(t *testing.T, path string, first time.Time, orders int) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id")
	type sku struct {
		platform, id string
		price        domain.Fen
	}
	var skus []sku
	for _, s := range demo.Catalogue() {
		skus = append(skus, sku{"douyin", s.SKUID, s.PriceFen})
	}
	for _, s := range demo.JDCatalogue() {
		skus = append(skus, sku{"jd", s.SKUID, s.PriceFen})
	}
	for _, s := range demo.KuaishouCatalogue() {
		skus = append(skus, sku{"kuaishou", strconv.FormatInt(s.SkuID, 10), domain.Fen(s.PriceFen)})
	}
	r := rand.New(rand.NewPCG(1, 14))
	type sale struct {
		at   time.Time
		sku  sku
		room string
	}
	const days = 365
	i := 0
	for day := range days {
		start := first.AddDate(0, 0, day)
		room := ""
		if day%7 == 1 || day%7 == 3 || day%7 == 5 {
			room = strconv.FormatInt(6823941120781224715+int64(day), 10)
		}
		n := orders / days
		if day < orders%days {
			n++
		}
		sales := make([]sale, n)
		for k := range sales {
			x := sale{sku: skus[r.IntN(len(skus))], at: start.Add(time.Duration(r.Int64N(int64(24 * time.Hour))))}
			if x.sku.platform == "douyin" && room != "" && r.IntN(3) == 0 {
				x.room, x.at = room, start.Add(19*time.Hour+time.Duration(r.Int64N(int64(3*time.Hour))))
			}
			sales[k] = x
		}
		slices.SortFunc(sales, func(a, b sale) int { return a.at.Compare(b.at) })
		for _, x := range sales {
			qty := 1 + r.IntN(3)
			fmt.Fprintf(w, "%s,B%s%09d,1,%s,%d,%s,paid,%s,%s\n", x.sku.platform, x.sku.platform[:1], i, x.sku.id, qty,
				x.sku.price*domain.Fen(qty), x.at.Format("2006-01-02 15:04:05"), x.room)
			i++
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}
