package projections_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// oddStrings are strings encoding/json escapes or rewrites.
var oddStrings = []string{
	"", "plain-ASCII_123", `quote " and \ backslash`, "<script>&amp;</script>",
	"枇杷 loquat", "tab\tnew\nline\r", "\x00\x1f\x7f", "bad utf-8 \xff\xfe end",
	"line sep \u2028 para sep \u2029", "emoji 🍊", "\u00e9\u0301",
}

func randomString(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return oddStrings[r.IntN(len(oddStrings))]
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789:-_ ./"
	b := make([]byte, r.IntN(24))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func randomTime(r *rand.Rand) time.Time {
	zones := []*time.Location{time.UTC, domain.ChinaTime, time.FixedZone("odd", -(3*3600 + 30*60)), time.FixedZone("sec", 5*3600+17)}
	t := time.Unix(r.Int64N(4e9)-1e9, 0).In(zones[r.IntN(len(zones))])
	switch r.IntN(3) {
	case 0: // whole seconds
	case 1:
		t = t.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
	default:
		t = t.Add(time.Duration(r.IntN(1e9)))
	}
	return t
}

func randomStoredLine(r *rand.Rand) projections.StoredLine {
	var s projections.StoredLine
	if r.IntN(5) > 0 {
		p := &domain.LinePayment{EventID: randomString(r), CreatedAt: randomTime(r), PaidAt: randomTime(r),
			PaidLine: domain.PaidLine{LineID: randomString(r), SKUID: randomString(r), Quantity: r.Int64() - r.Int64(),
				AmountFen: domain.Fen(r.Int64() - r.Int64())}}
		if r.IntN(2) == 0 {
			p.BuyerRef = randomString(r)
		}
		if r.IntN(2) == 0 {
			p.ProductName = randomString(r)
		}
		if r.IntN(2) == 0 {
			p.Livestream = &domain.LivestreamRef{RoomID: randomString(r), AnchorID: randomString(r), AnchorName: randomString(r)}
		}
		s.Payment = p
	}
	for range r.IntN(4) {
		s.Refunds = append(s.Refunds, domain.LineRefund{ID: randomString(r), AmountFen: domain.Fen(r.Int64N(1e9)), At: randomTime(r)})
	}
	if r.IntN(3) > 0 {
		s.Refunds = s.Refunds[:len(s.Refunds):len(s.Refunds)]
	} else if len(s.Refunds) == 0 {
		s.Refunds = []domain.LineRefund{} // empty, not nil: omitted all the same
	}
	if r.IntN(2) == 0 {
		s.Listing = randomString(r)
	}
	if r.IntN(4) == 0 {
		s.Corrections = append(s.Corrections, domain.LineCorrection{ID: randomString(r), Action: domain.CorrectAmend,
			At: randomTime(r), AmountFen: domain.Fen(r.Int64N(1e9))})
	}
	return s
}

// TestStoredLineAppendJSON holds the hand-written encoder to encoding/json,
// byte for byte, over random lines with odd strings, times in several
// zones and precisions, and every optional field present or not.
func TestStoredLineAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	prefix := []byte("kept:")
	for i := range 20000 {
		s := randomStoredLine(r)
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.AppendJSON(bytes.Clone(prefix))
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if !bytes.HasPrefix(got, prefix) || !bytes.Equal(got[len(prefix):], want) {
			t.Fatalf("line %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestStoredLineAppendJSONFailsLikeMarshal: times that RFC 3339 cannot
// write fail both ways.
func TestStoredLineAppendJSONFailsLikeMarshal(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far", 24*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far west", -25*3600)),
	} {
		for _, s := range []projections.StoredLine{
			{Payment: &domain.LinePayment{CreatedAt: at}},
			{Payment: &domain.LinePayment{PaidAt: at}},
			{Refunds: []domain.LineRefund{{ID: "r", At: at}}},
		} {
			if _, err := json.Marshal(s); err == nil {
				t.Fatalf("json.Marshal accepted %v; the test needs a time it refuses", at)
			}
			if got, err := s.AppendJSON(nil); err == nil {
				t.Errorf("AppendJSON wrote %s for %v, want an error", got, at)
			}
		}
	}
	ok := time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("edge", 23*3600+59*60))
	if _, err := (projections.StoredLine{Refunds: []domain.LineRefund{{At: ok}}}).AppendJSON(nil); err != nil {
		t.Errorf("AppendJSON refused %v, which json.Marshal accepts: %v", ok, err)
	}
}

// TestStoredLineFieldsKnown fails when a field is added to a type that
// AppendJSON writes, until the encoder (and this list) know it.
func TestStoredLineFieldsKnown(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{projections.StoredLine{}, "Payment Refunds Listing Corrections"},
		{domain.LinePayment{}, "EventID CreatedAt PaidAt BuyerRef PaidLine"},
		{domain.PaidLine{}, "LineID SKUID ProductName Quantity AmountFen Livestream"},
		{domain.LivestreamRef{}, "RoomID AnchorID AnchorName"},
		{domain.LineRefund{}, "ID AmountFen At"},
	} {
		typ := reflect.TypeOf(c.v)
		var names []string
		for f := range typ.Fields() {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("%v has fields %q; StoredLine.AppendJSON writes %q: teach it the new ones", typ, got, c.want)
		}
	}
}

// FuzzStoredLineAppendJSON: any strings, any amounts, the same bytes as
// encoding/json.
func FuzzStoredLineAppendJSON(f *testing.F) {
	for _, s := range oddStrings {
		f.Add(s, s, int64(-1), int64(1))
	}
	f.Fuzz(func(t *testing.T, a, b string, amount, nanos int64) {
		at := time.Unix(0, nanos).In(domain.ChinaTime)
		s := projections.StoredLine{
			Payment: &domain.LinePayment{EventID: a, BuyerRef: b, CreatedAt: at, PaidAt: at,
				PaidLine: domain.PaidLine{LineID: b, SKUID: a, ProductName: a + b, Quantity: amount, AmountFen: domain.Fen(amount),
					Livestream: &domain.LivestreamRef{RoomID: a, AnchorName: b}}},
			Refunds: []domain.LineRefund{{ID: b, AmountFen: domain.Fen(-amount), At: at}},
			Listing: a,
		}
		want, err := json.Marshal(s)
		if err != nil {
			t.Skip(err) // a time RFC 3339 cannot write; the failure is tested above
		}
		got, err := s.AppendJSON(nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %s, %v\nwant %s", got, err, want)
		}
	})
}
