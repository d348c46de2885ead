package kuaishou

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
)

// FuzzDecodeCursorListPage feeds answers of open.order.cursor.list to the
// page decoder and every order of an accepted page to the order decoder.
// Properties: nothing panics; an answer refused as not a page keeps its
// bytes for the dead letter; every order accepted gives events that
// validate, all of its order, whose money adds up, checked against the
// order's own fields read independently here: its one line is what the
// buyer paid less freight (totalFee − expressFee), never negative; a
// closed order refunds at most what it paid.
//
//	go test -run='^$' -fuzz='^FuzzDecodeCursorListPage$' -fuzztime=5s ./ingest/kuaishou
func FuzzDecodeCursorListPage(f *testing.F) {
	ingesttest.FuzzPages(f, ingesttest.PageFuzz[decodedOrder]{
		Sample: sampledata.File("kuaishou-order-cursor-list.json"),
		Replace: [][2]string{
			{`"status": 30`, `"status": 80`},
			{`"status": 30`, `"status": 10`},
			{`"expressFee": 0`, `"expressFee": 800`},
			{`"oid": 2004301234567890`, `"oid": "2004301234567890"`},
			{`"pcursor": "MTU4ODI0NjQwMDAwMF8yMDA0MzAxMjM0NTY3ODk="`, `"pcursor": "nomore"`},
		},
		Extra: [][]byte{
			[]byte(`{"result":10005,"error_msg":"Exceed qps limit"}`),
			[]byte(`{"result":1,"data":{"pcursor":"nomore","orderList":[{"orderBaseInfo":{"oid":9223372036854775807,"status":80,"totalFee":100,"expressFee":100,` +
				`"payTime":2,"createTime":1,"updateTime":3},"orderItemInfo":{"skuId":"1","num":1}},{"orderBaseInfo":{"oid":1.5}}]}}`),
		},
		DecodePage: func(answer []byte) ([]json.RawMessage, error) {
			pg, err := decodePage(answer)
			if err != nil {
				return nil, err
			}
			return pg.orders, nil
		},
		DecodeOrder: decodeOrder,
		Check:       checkOrder,
	})
}

// checkOrder holds an accepted order's events to the properties above.
func checkOrder(t *testing.T, raw json.RawMessage, d decodedOrder) {
	t.Helper()
	paid := map[string]domain.Fen{}
	for _, e := range d.Events {
		if err := e.Validate(); err != nil {
			t.Fatalf("order %s: %s does not validate: %v", d.ID, e.Type(), err)
		}
		switch e := e.(type) {
		case *domain.OrderPaid:
			if e.OrderID != d.ID || len(e.Lines) != 1 {
				t.Fatalf("payment of order %s with %d lines in order %s; want its one line", e.OrderID, len(e.Lines), d.ID)
			}
			var o struct {
				Base struct {
					TotalFee   json.Number `json:"totalFee"`
					ExpressFee json.Number `json:"expressFee"`
				} `json:"orderBaseInfo"`
			}
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatalf("order %s accepted, but its fees do not read: %v", d.ID, err)
			}
			total, err1 := o.Base.TotalFee.Int64()
			express, err2 := o.Base.ExpressFee.Int64()
			if err := errors.Join(err1, err2); err != nil {
				t.Fatalf("order %s accepted with fees %s and %s: %v", d.ID, o.Base.TotalFee, o.Base.ExpressFee, err)
			}
			l := e.Lines[0]
			if l.AmountFen != domain.Fen(total-express) || l.AmountFen < 0 {
				t.Fatalf("order %s: line %d fen; totalFee %d − expressFee %d = %d", d.ID, l.AmountFen, total, express, total-express)
			}
			paid[l.LineID] = l.AmountFen
		case *domain.OrderCancelled:
			for _, l := range e.Lines {
				if l.AmountFen > paid[l.LineID] {
					t.Fatalf("order %s line %s: refunds %d fen of %d paid", d.ID, l.LineID, l.AmountFen, paid[l.LineID])
				}
			}
		}
	}
}
