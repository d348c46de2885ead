package demo

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/file"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
	"github.com/loquat-dev/loquat/ingest/kuaishou"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// Demo credentials of the simulated JD and Kuaishou shops.
const (
	jdAppKey, jdAppSecret, jdToken  = "loquat-demo-jd", "loquat-demo-jd-secret", "loquat-demo-jd-token"
	ksAppKey, ksSignSecret, ksToken = "loquat-demo-ks", "loquat-demo-ks-secret", "loquat-demo-ks-token"
	shelfOrders, distributorOrders  = 600, 500
	fileOrders, incomeRecords       = 200, 240
	channelStart, channelSpan       = 8 * time.Hour, 14 * time.Hour
)

// shelves are the simulated JD and Kuaishou shops and what they sold.
type shelves struct {
	jdURL, ksURL string
	jdLedger     jdsim.Ledger
	ksLedger     kuaishousim.Ledger
	clock        time.Time // the pollers' "now": every order of both shops is final
	closers      []func() error
}

func (s *shelves) close() {
	for _, c := range s.closers {
		c()
	}
}

func serve(h http.Handler) (string, func() error, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	return "http://" + l.Addr().String(), srv.Close, nil
}

// startShelves serves the plan's JD shelf sales and Kuaishou distributor
// sales from simulated platforms.
func startShelves(plan *dayPlan) (*shelves, error) {
	s := &shelves{}
	jdPlatform, err := jdsim.New(jdsim.Options{AppKey: jdAppKey, AppSecret: jdAppSecret, AccessToken: jdToken})
	if err != nil {
		return nil, err
	}
	if err := jdPlatform.AddOrders(plan.jd.Orders...); err != nil {
		return nil, err
	}
	ksPlatform, err := kuaishousim.New(kuaishousim.Options{AppKey: ksAppKey, SignSecret: ksSignSecret, AccessToken: ksToken})
	if err != nil {
		return nil, err
	}
	if err := ksPlatform.AddOrders(plan.ks.Orders...); err != nil {
		return nil, err
	}
	s.jdLedger, s.ksLedger = plan.jd.Ledger, plan.ks.Ledger
	s.clock = plan.pollerClock()
	for _, p := range []struct {
		h   http.Handler
		url *string
	}{{jdPlatform, &s.jdURL}, {ksPlatform, &s.ksURL}} {
		url, closer, err := serve(p.h)
		if err != nil {
			s.close()
			return nil, err
		}
		*p.url = url
		s.closers = append(s.closers, closer)
	}
	return s, nil
}

// pollerConfigs point the node's pollers at the simulated shops. The
// platforms live on the demo's day: the pollers' clock stands where every
// order there is final — shipped, received, or cancelled days later —
// (Kuaishou searches only 90 days back, so a real clock would refuse an
// older demo day). The demo's day is chosen so that this is not later
// than now.
func (s *shelves) pollerConfigs(day time.Time) (jd.Config, kuaishou.Config) {
	clock := func() time.Time { return s.clock }
	return jd.Config{AppKey: jdAppKey, AppSecret: jdAppSecret, AccessToken: jdToken, APIBaseURL: s.jdURL + "/routerjson",
			Start: day, Window: 6 * time.Hour, Now: clock},
		kuaishou.Config{AppKey: ksAppKey, SignSecret: ksSignSecret, AccessToken: ksToken, APIBaseURL: s.ksURL,
			Start: day, Window: 6 * time.Hour, Now: clock}
}

// exports writes the day's 832-platform export and the enterprises' income
// ledgers, and imports them as `loquat import` does. It returns the
// export's GMV and the income recorded, in fen.
func exports(ctx context.Context, day time.Time, reg *domain.RegistryFile, seed uint64, sink ingest.Sink) (gmv, income domain.Fen, err error) {
	r := rand.New(rand.NewPCG(seed, 832))
	var orders bytes.Buffer
	orders.WriteString("platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id\n")
	var files []otherListing
	for _, l := range otherListings {
		if l.platform == domain.Platform832 {
			files = append(files, l)
		}
	}
	for i := 0; i < fileOrders; i++ {
		l := files[r.IntN(len(files))]
		qty := 1 + r.IntN(20) // 832 buyers are canteens and unions: bulk orders
		amount := l.priceFen * domain.Fen(qty)
		at := day.Add(channelStart + time.Duration(r.Int64N(int64(channelSpan))))
		fmt.Fprintf(&orders, "832,832-%s-%05d,1,%s,%d,%s,paid,%s,\n", day.Format("20060102"), i, l.skuID, qty, amount, at.Format(time.RFC3339))
		gmv += amount
	}
	var ledgers bytes.Buffer
	ledgers.WriteString("household_id,kind,amount,enterprise_id,occurred_at,reference\n")
	kinds := []string{domain.IncomeProcurement, domain.IncomeWage, domain.IncomeDividend}
	for i := 0; i < incomeRecords; i++ {
		h := reg.Households[r.IntN(len(reg.Households))]
		e := reg.Enterprises[r.IntN(len(reg.Enterprises))]
		amount := domain.Fen(20000 + r.IntN(300000))
		at := day.Add(time.Duration(r.IntN(24)) * time.Hour)
		fmt.Fprintf(&ledgers, "%s,%s,%s,%s,%s,%s-%s-%04d\n", h.ID, kinds[r.IntN(len(kinds))], amount, e.ID, at.Format(time.RFC3339), e.ID, day.Format("20060102"), i)
		income += amount
	}
	// Through the same guard as `loquat import`: the rules, and income
	// checked against the registry the demo loaded.
	registry := domain.NewRegistry()
	for _, e := range reg.Events() {
		registry.Apply(e)
	}
	for name, content := range map[string][]byte{"832-export.csv": orders.Bytes(), "income-ledgers.csv": ledgers.Bytes()} {
		guard, err := ingest.NewGuard(sink, ingest.GuardConfig{Source: "file:" + name, Registry: registry})
		if err != nil {
			return 0, 0, err
		}
		sum, err := file.Import(ctx, bytes.NewReader(content), int64(len(content)), file.Options{Source: "file:" + name, Format: file.FormatCSV, Check: guard.Check}, guard)
		if err != nil {
			return 0, 0, fmt.Errorf("import %s: %w", name, err)
		}
		if sum.Rejected > 0 {
			return 0, 0, fmt.Errorf("import %s: %d rows rejected", name, sum.Rejected)
		}
	}
	return gmv, income, nil
}
