package jd_test

import (
	"context"
	"slices"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// TestSellerDiscountSpread: an order's sellerDiscount is spread over its
// lines in proportion to their totals, largest remainder first, ties to the
// earlier line, so the lines add up to orderSellerPrice to the fen.
func TestSellerDiscountSpread(t *testing.T) {
	tests := []struct {
		name     string
		discount string
		items    []item
		lineIDs  []string
		want     []domain.Fen
	}{
		{"sample: one line, ten yuan off", "10.00", []item{{"100012043978", "59.90", 2}}, []string{"100012043978"}, []domain.Fen{10980}},
		{"no discount", "0.00", []item{{"1001", "12.34", 1}, {"1002", "0.66", 3}}, []string{"1001", "1002"}, []domain.Fen{1234, 198}},
		{"one fen over two equal lines goes to the first", "0.01", []item{{"1001", "10.00", 1}, {"1002", "5.00", 2}}, []string{"1001", "1002"}, []domain.Fen{999, 1000}},
		{"two fen over three equal lines: the first two", "0.02", []item{{"1001", "3.00", 1}, {"1002", "3.00", 1}, {"1003", "3.00", 1}}, []string{"1001", "1002", "1003"}, []domain.Fen{299, 299, 300}},
		// 100 fen over 1000:2000:3000 is 16.67, 33.33, 50: the leftover fen goes to the largest remainder.
		{"largest remainder", "1.00", []item{{"1001", "10.00", 1}, {"1002", "20.00", 1}, {"1003", "30.00", 1}}, []string{"1001", "1002", "1003"}, []domain.Fen{983, 1967, 2950}},
		// 7 fen over 1:1:1 fen lines would be refused (over the total); here 7 over 101:1:1 is 6.86, 0.07, 0.07.
		{"small lines keep their fen", "0.07", []item{{"1001", "1.01", 1}, {"1002", "0.01", 1}, {"1003", "0.01", 1}}, []string{"1001", "1002", "1003"}, []domain.Fen{94, 1, 1}},
		{"the whole order free", "25.00", []item{{"1001", "5.00", 3}, {"1002", "10.00", 1}}, []string{"1001", "1002"}, []domain.Fen{0, 0}},
		// 333 over 999:100:1998 is 107.42, 10.75, 214.83: the two fen left go to the third, then the second.
		{"a sku twice gets indexed line ids", "3.33", []item{{"1001", "9.99", 1}, {"1002", "1.00", 1}, {"1001", "9.99", 2}}, []string{"1001-1", "1002", "1001-3"}, []domain.Fen{892, 89, 1783}},
		// 12345 over 1399993:33:23331 is 12142.36, 0.29, 202.35: the fen left goes to the first.
		{"odd split of a large order", "123.45", []item{{"1001", "1999.99", 7}, {"1002", "0.03", 11}, {"1003", "77.77", 3}}, []string{"1001", "1002", "1003"}, []domain.Fen{1387850, 33, 23129}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "90000000" + string(rune('0'+i))
			f := paidFixture(id, "2020-05-02 10:00:30", tt.discount, tt.items...)
			sim := newSim(t, jdsim.Options{})
			mustNoErr(t, sim.AddOrders(f.order(t)))
			r := newRig(t, sim, nil)
			r.Clock.Set(china("2020-05-02 12:00:00"))
			mustNoErr(t, r.poller(t, r.config(china("2020-05-02 09:00:00"))).RunOnce(context.Background()))
			if d := r.Sink.DeadLetters(); len(d) != 0 {
				t.Fatalf("want no dead letter, got %s", d[0].Reason)
			}
			paid := ingesttest.Find[*domain.OrderPaid](r.Sink.Events())
			if len(paid) != 1 {
				t.Fatalf("want one OrderPaid, got %d", len(paid))
			}
			var ids []string
			var got []domain.Fen
			var sum domain.Fen
			for _, l := range paid[0].Lines {
				ids, got, sum = append(ids, l.LineID), append(got, l.AmountFen), sum+l.AmountFen
			}
			if !slices.Equal(ids, tt.lineIDs) || !slices.Equal(got, tt.want) {
				t.Errorf("lines: want ids %v amounts %v fen, got %v %v", tt.lineIDs, tt.want, ids, got)
			}
			var goods domain.Fen
			for _, it := range tt.items {
				goods += domain.MustParseYuan(it.price) * domain.Fen(it.qty)
			}
			if want := goods - domain.MustParseYuan(tt.discount); sum != want {
				t.Errorf("lines add up to %d fen, want orderSellerPrice %d fen", sum, want)
			}
		})
	}
}
