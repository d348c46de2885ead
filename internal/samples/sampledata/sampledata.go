// Package sampledata is the one in-repo copy of the sample payloads
// (shared/samples), the domain events they produce and the figures those
// events must give. It imports no adapter, so that what only needs the
// events (the store conformance suite, projections/storetest) does not
// build every platform: package samples runs the payloads through the real
// adapters and checks they still give events.golden.json.
package sampledata

import (
	"embed"
	"encoding/json"
	"fmt"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

//go:embed *.json *.csv
var files embed.FS

// File returns a sample file's bytes.
func File(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err) // embedded: cannot fail for the names in this folder
	}
	return b
}

// GoldenFile is the events the samples give, as package samples writes it.
const GoldenFile = "events.golden.json"

// Golden is the layout of GoldenFile.
type Golden struct {
	Registry []Encoded `json:"registry"`
	Events   []Encoded `json:"events"`
}

// Encoded is one event, as domain.MarshalEvent writes it.
type Encoded struct {
	Type    domain.EventType `json:"type"`
	Payload json.RawMessage  `json:"payload"`
}

// Encode encodes events for GoldenFile.
func Encode(events []domain.Event) ([]Encoded, error) {
	out := make([]Encoded, 0, len(events))
	for _, e := range events {
		b, err := domain.MarshalEvent(e)
		if err != nil {
			return nil, err
		}
		out = append(out, Encoded{Type: e.Type(), Payload: b})
	}
	return out, nil
}

func decode(in []Encoded) ([]domain.Event, error) {
	out := make([]domain.Event, 0, len(in))
	for i, e := range in {
		ev, err := domain.UnmarshalEvent(e.Type, domain.CurrentVersion, e.Payload)
		if err != nil {
			return nil, fmt.Errorf("%s: event %d: %w", GoldenFile, i, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// Events returns the events the samples give: the registry's, and the
// others in sample order (Douyin pushes, JD and Kuaishou polls, file
// imports), as the adapters produced them when GoldenFile was written.
func Events() (registryEvents, events []domain.Event, err error) {
	var g Golden
	if err := json.Unmarshal(File(GoldenFile), &g); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", GoldenFile, err)
	}
	if registryEvents, err = decode(g.Registry); err != nil {
		return nil, nil, err
	}
	if events, err = decode(g.Events); err != nil {
		return nil, nil, err
	}
	return registryEvents, events, nil
}

// The figures of samples/README.md, all time, in fen.
var (
	WantGMV, WantRefunds, WantNet = domain.Fen(73330), domain.Fen(21290), domain.Fen(52040)
	WantHouseholds                = map[string]domain.Fen{"H-0001": 3979, "H-0002": 3384, "H-0003": 3385, "H-0004": 10680, "H-0005": 4378}
	WantCollectives               = map[string]domain.Fen{"V-PINGHU": 869, "V-PULIU": 2670, "V-KENGPING": 1194}
	WantEnterprises               = map[string]domain.Fen{"E-HELPER": 8151, "E-GARDEN": 13350}
	WantReached                   = int64(5)
	WantByDay                     = map[string]projections.Money{
		"2020-04-30": {GMVFen: 37730, NetFen: 37730},
		"2020-05-01": {RefundsFen: 12390, NetFen: -12390},
		"2020-05-02": {GMVFen: 35600, NetFen: 35600},
		"2020-05-04": {RefundsFen: 8900, NetFen: -8900},
	}
	WantRecordedIncome = map[string]domain.Fen{"H-0004": 180000, "H-0001": 126050, "H-0005": 60000}
)

// Describe is a one-line summary of an overview, for failure messages.
func Describe(ov projections.Overview) string {
	return fmt.Sprintf("GMV %d refunds %d net %d fen, %d orders", ov.GMVFen, ov.RefundsFen, ov.NetFen, ov.Orders)
}

// Lookup returns the sample file named name, if there is one: test helpers
// that read their package's testdata/ fall back to it, so that each sample
// has this one copy.
func Lookup(name string) ([]byte, bool) {
	b, err := files.ReadFile(name)
	return b, err == nil
}
