package storetest

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// Dataset is a generated district and its sales, delivered out of order with
// duplicates, and the figures they must produce, computed independently of
// the projector: straight from the generated orders with the domain's split.
type Dataset struct {
	Feed
	Want Reference
}

// Reference holds the expected figures (fen) over all time.
type Reference struct {
	GMV, Refunds, Unattributed domain.Fen
	Orders, RefundedOrders     int64
	Households                 map[string]domain.Fen // attributed net sales
	Collectives                map[string]domain.Fen
	EnterpriseShares           map[string]domain.Fen
	EnterpriseGMV              map[string]domain.Fen
	ByDay                      map[string][2]domain.Fen // GMV, refunds
	Income                     map[string]domain.Fen
	// IncomeByCategory is each household's recorded income by category
	// (attributed sales, operating income too, are in Households).
	IncomeByCategory map[string]domain.IncomeByCategory
	// HouseholdDaily is each household's programme income (attributed net
	// sales and recorded income) by China-time day.
	HouseholdDaily map[string]map[string]domain.Fen
	// Registry is the generated registry, with its lines per year and
	// households' dated terms.
	Registry *domain.Registry
}

var dataStart = time.Date(2021, 1, 1, 0, 0, 0, 0, domain.ChinaTime)

type genLine struct {
	platform, order, line, sku string
	created, paid              time.Time
	amount                     domain.Fen
	refunds                    []genRefund
}

type genRefund struct {
	id     string
	at     time.Time
	amount domain.Fen
}

// Generate builds a dataset of n orders (deterministic for a seed): four
// platforms, listings whose shares change on the sixth day, unlisted SKUs,
// partial refunds, cancellations after payment (some beside a refund of the
// same line), orders never paid, income records; every event shuffled and a
// tenth delivered twice.
//
// The data set is frozen: read models projected from it are test fixtures
// (projections/sqlite/testdata). GenerateOverTime adds to it.
func Generate(seed uint64, n int) Dataset { return generate(seed, n, false) }

// GenerateOverTime is Generate with the registry over time and every income
// kind: monitoring lines of 2021 and 2022, every fourth household's members
// and baseline changing on 2021-01-06 and 2022-01-01, and income records of
// all five kinds (the random draws, and so the orders, differ from
// Generate's).
func GenerateOverTime(seed uint64, n int) Dataset { return generate(seed, n, true) }

func generate(seed uint64, n int, overTime bool) Dataset {
	r := rand.New(rand.NewPCG(seed, 77))
	reg := &domain.RegistryFile{District: domain.District{ID: "D-TEST", Name: "test district", MonitoringLineFen: 650000}}
	for v := 1; v <= 4; v++ {
		reg.Villages = append(reg.Villages, domain.Village{ID: fmt.Sprintf("V%d", v), Name: fmt.Sprintf("village %d", v), Town: fmt.Sprintf("town %d", (v+1)/2)})
		for h := 1; h <= 10; h++ {
			reg.Households = append(reg.Households, domain.Household{ID: fmt.Sprintf("H%d%02d", v, h), VillageID: fmt.Sprintf("V%d", v),
				Members: int64(1 + r.IntN(5)), BaselineIncomeFen: domain.Fen(500000 + r.IntN(3000000)), Category: "脱贫户"})
		}
	}
	// The line of 2021 given a year of its own, 2022's too; the district's
	// holds before 2021. Every fourth household's members and baseline
	// change during the data (from its sixth day) and again in 2022.
	if overTime {
		reg.MonitoringLines = []domain.MonitoringLine{{Year: 2021, LineFen: 680000}, {Year: 2022, LineFen: 720000}}
	}
	for i, h := range reg.Households {
		if overTime && i%4 == 0 {
			reg.HouseholdTerms = append(reg.HouseholdTerms,
				domain.HouseholdTerms{HouseholdID: h.ID, From: "2021-01-06", Members: h.Members + 1, BaselineIncomeFen: h.BaselineIncomeFen + 150000},
				domain.HouseholdTerms{HouseholdID: h.ID, From: "2022-01-01", Members: h.Members + 2, BaselineIncomeFen: h.BaselineIncomeFen + 90000})
		}
	}
	for e := 1; e <= 3; e++ {
		reg.Enterprises = append(reg.Enterprises, domain.Enterprise{ID: fmt.Sprintf("E%d", e), Name: fmt.Sprintf("enterprise %d", e), PartyBranch: "branch"})
	}
	platforms := []string{"douyin", "jd", "kuaishou", "file"}
	products := []string{"loquat", "longan", "shiitake", "flowers"}
	for pi, p := range platforms {
		for k := 0; k < 3; k++ {
			sku := fmt.Sprintf("%s-%d", p, k)
			if k == 2 {
				continue // unlisted: counts as unattributed
			}
			v := 1 + (pi+k)%4
			l := domain.Listing{Platform: p, SKUID: sku, Product: products[(pi+k)%4], Name: sku, EnterpriseID: fmt.Sprintf("E%d", 1+(pi+k)%3),
				VillageID: fmt.Sprintf("V%d", v), EffectiveFrom: dataStart.AddDate(0, -1, 0),
				HouseholdsBP: int64(3000 + r.IntN(4000)), VillageCollectiveBP: int64(r.IntN(1500))}
			for h := 1; h <= 1+r.IntN(6); h++ {
				l.Households = append(l.Households, domain.HouseholdWeight{ID: fmt.Sprintf("H%d%02d", v, h), Weight: int64(1 + r.IntN(4))})
			}
			reg.Listings = append(reg.Listings, l)
			if k == 0 {
				changed := l
				changed.EffectiveFrom = dataStart.AddDate(0, 0, 5).Add(7 * time.Hour)
				changed.HouseholdsBP, changed.VillageCollectiveBP = int64(5000+r.IntN(3000)), int64(500+r.IntN(1000))
				changed.Households = append([]domain.HouseholdWeight(nil), l.Households[:1+r.IntN(len(l.Households))]...)
				reg.Listings = append(reg.Listings, changed)
			}
		}
	}
	if err := reg.Validate(); err != nil {
		panic(err)
	}
	registry := domain.NewRegistry()
	for _, e := range reg.Events() {
		registry.Apply(e)
	}

	var events []domain.Event
	var lines []*genLine
	refundedOrders := map[string]bool{}
	paidOrders := map[string]bool{}
	for i := 0; i < n; i++ {
		platform := platforms[r.IntN(len(platforms))]
		order := fmt.Sprintf("%s-%06d", platform, i)
		created := dataStart.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
		events = append(events, &domain.OrderCreated{Platform: platform, OrderID: order, CreatedAt: created})
		if r.IntN(20) == 0 {
			continue // never paid
		}
		paid := created.Add(time.Duration(1+r.IntN(600)) * time.Second)
		pe := &domain.OrderPaid{Platform: platform, OrderID: order, CreatedAt: created, PaidAt: paid, BuyerRef: fmt.Sprintf("b%d", r.IntN(n/3+1))}
		var orderLines []*genLine
		for l := 1; l <= 1+r.IntN(3); l++ {
			sku := fmt.Sprintf("%s-%d", platform, r.IntN(3)) // -2 is unlisted
			gl := &genLine{platform: platform, order: order, line: fmt.Sprint(l), sku: sku, created: created, paid: paid, amount: domain.Fen(1 + r.IntN(50000))}
			pl := domain.PaidLine{LineID: gl.line, SKUID: sku, Quantity: 1, AmountFen: gl.amount}
			if platform == "douyin" && r.IntN(2) == 0 {
				pl.Livestream = &domain.LivestreamRef{RoomID: fmt.Sprint(1 + r.IntN(3)), AnchorName: "anchor"}
			}
			pe.Lines = append(pe.Lines, pl)
			orderLines = append(orderLines, gl)
		}
		events = append(events, pe)
		paidOrders[order] = true
		lines = append(lines, orderLines...)
		if r.IntN(10) == 0 { // a partial refund of one line
			gl := orderLines[r.IntN(len(orderLines))]
			rf := &domain.RefundSucceeded{Platform: platform, OrderID: order, LineID: gl.line, RefundID: fmt.Sprintf("R%d", i),
				AmountFen: domain.Fen(1 + r.Int64N(int64(gl.amount))), RefundedAt: paid.Add(time.Duration(1+r.IntN(72)) * time.Hour)}
			events = append(events, rf)
			gl.refunds = append(gl.refunds, genRefund{id: rf.ID(), at: rf.RefundedAt, amount: rf.AmountFen})
		}
		if r.IntN(30) == 0 { // cancelled after payment: a full refund, beside any refund above
			ce := &domain.OrderCancelled{Platform: platform, OrderID: order, CancelledAt: paid.Add(100 * time.Hour), WasPaid: true}
			for _, gl := range orderLines {
				ce.Lines = append(ce.Lines, domain.CancelledLine{LineID: gl.line, AmountFen: gl.amount})
				gl.refunds = append(gl.refunds, genRefund{id: ce.RefundID(gl.line), at: ce.CancelledAt, amount: gl.amount})
			}
			events = append(events, ce)
		} else if r.IntN(3) == 0 {
			events = append(events, &domain.OrderShipped{Platform: platform, OrderID: order, ShippedAt: paid.Add(time.Hour)})
		}
	}
	want := Reference{Households: map[string]domain.Fen{}, Collectives: map[string]domain.Fen{}, EnterpriseShares: map[string]domain.Fen{},
		EnterpriseGMV: map[string]domain.Fen{}, ByDay: map[string][2]domain.Fen{}, Income: map[string]domain.Fen{},
		IncomeByCategory: map[string]domain.IncomeByCategory{}, HouseholdDaily: map[string]map[string]domain.Fen{}, Registry: registry}
	daily := func(household, day string, amount domain.Fen) {
		if want.HouseholdDaily[household] == nil {
			want.HouseholdDaily[household] = map[string]domain.Fen{}
		}
		want.HouseholdDaily[household][day] += amount
	}
	kinds := []string{domain.IncomeProcurement, domain.IncomeWage, domain.IncomeDividend}
	if overTime {
		kinds = domain.IncomeKinds()
	}
	for i := 0; i < n/20; i++ {
		h := reg.Households[r.IntN(len(reg.Households))]
		in := &domain.IncomeRecorded{HouseholdID: h.ID, Kind: kinds[r.IntN(len(kinds))],
			AmountFen: domain.Fen(100 + r.IntN(100000)), EnterpriseID: "E1", OccurredAt: dataStart.Add(time.Duration(r.IntN(240)) * time.Hour), Reference: fmt.Sprintf("IN-%d", i)}
		events = append(events, in)
		want.Income[h.ID] += in.AmountFen
		daily(h.ID, domain.Day(in.OccurredAt), in.AmountFen)
		// The category by a table of the test's own, not the domain's.
		c := want.IncomeByCategory[h.ID]
		switch in.Kind {
		case "procurement":
			c.OperatingFen += in.AmountFen
		case "wage":
			c.WageFen += in.AmountFen
		case "dividend", "rent":
			c.PropertyFen += in.AmountFen
		case "subsidy":
			c.TransferFen += in.AmountFen
		default:
			panic("storetest: income kind " + in.Kind + " has no category in the reference")
		}
		want.IncomeByCategory[h.ID] = c
	}

	// The reference: every paid line at its payment, each refund clipped to
	// what is left of the line, in time order, split by the listing in force
	// at the order's creation (the registry is complete before any order).
	book := func(amount domain.Fen, at time.Time, l *domain.Listing) {
		day := domain.Day(at)
		d := want.ByDay[day]
		if amount > 0 {
			want.GMV += amount
			d[0] += amount
		} else {
			want.Refunds -= amount
			d[1] -= amount
		}
		want.ByDay[day] = d
		if l == nil {
			want.Unattributed += amount
			return
		}
		want.EnterpriseGMV[l.EnterpriseID] += amount
		shares, err := domain.AttributeLine(amount, l)
		if err != nil {
			panic(err)
		}
		for _, s := range shares {
			switch s.Kind {
			case domain.PartyHousehold:
				want.Households[s.PartyID] += s.AmountFen
				daily(s.PartyID, day, s.AmountFen)
			case domain.PartyCollective:
				want.Collectives[s.PartyID] += s.AmountFen
			case domain.PartyEnterprise:
				want.EnterpriseShares[s.PartyID] += s.AmountFen
			}
		}
	}
	for _, gl := range lines {
		l := registry.ListingAt(gl.platform, gl.sku, gl.created)
		book(gl.amount, gl.paid, l)
		sort.Slice(gl.refunds, func(i, j int) bool { return gl.refunds[i].at.Before(gl.refunds[j].at) })
		left := gl.amount
		for _, rf := range gl.refunds {
			amt := min(rf.amount, left)
			if amt <= 0 {
				continue
			}
			left -= amt
			refundedOrders[gl.order] = true
			book(-amt, rf.at, l)
		}
	}
	want.Orders, want.RefundedOrders = int64(len(paidOrders)), int64(len(refundedOrders))

	// Delivery: shuffled, a tenth twice.
	delivered := append([]domain.Event(nil), events...)
	for i := 0; i < len(events)/10; i++ {
		delivered = append(delivered, events[r.IntN(len(events))])
	}
	r.Shuffle(len(delivered), func(i, j int) { delivered[i], delivered[j] = delivered[j], delivered[i] })
	return Dataset{Feed: Feed{Registry: reg.Events(), Events: delivered}, Want: want}
}
