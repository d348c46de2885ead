package ingesttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// PageFuzz is what FuzzPages needs of a polled platform's decoding.
type PageFuzz[D any] struct {
	// Sample is a recorded page; Replace are [old, new] pairs, each made
	// once in a copy of it for a seed; Extra are more seeds.
	Sample  []byte
	Replace [][2]string
	Extra   [][]byte
	// DecodePage reads an answer into its orders' raw JSON.
	DecodePage func(answer []byte) ([]json.RawMessage, error)
	// DecodeOrder reads one order.
	DecodeOrder func(raw json.RawMessage) (D, error)
	// Check holds an accepted order to the platform's properties.
	Check func(t *testing.T, raw json.RawMessage, d D)
}

// FuzzPages fuzzes a polled platform's page and order decoding: an answer
// refused as not a page keeps its bytes for the dead letter (a
// *polling.BadPage holding the whole answer), an order refused is an
// *polling.OrderError, and every order accepted passes Check.
func FuzzPages[D any](f *testing.F, p PageFuzz[D]) {
	f.Add(p.Sample)
	for _, r := range p.Replace {
		f.Add(bytes.Replace(p.Sample, []byte(r[0]), []byte(r[1]), 1))
	}
	for _, seed := range p.Extra {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, answer []byte) {
		orders, err := p.DecodePage(answer)
		var bad *polling.BadPage
		if errors.As(err, &bad) && !bytes.Equal(bad.Raw, answer) {
			t.Fatalf("a refused page keeps %q, not the answer", bad.Raw)
		}
		if err != nil {
			return
		}
		for _, raw := range orders {
			d, err := p.DecodeOrder(raw)
			if err != nil {
				var oe *polling.OrderError
				if !errors.As(err, &oe) {
					t.Fatalf("order refused with %T %v, want an *OrderError", err, err)
				}
				continue
			}
			p.Check(t, raw, d)
		}
	})
}
