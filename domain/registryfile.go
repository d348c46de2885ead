package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// RegistryFile is the file `loquat registry load` reads (see
// samples/registry.json and ingest/registry/README.md, which documents it
// field by field).
type RegistryFile struct {
	// District may be left out of a file that adds to a loaded registry.
	District    District     `json:"district"`
	Villages    []Village    `json:"villages"`
	Households  []Household  `json:"households"`
	Enterprises []Enterprise `json:"enterprises"`
	Listings    []Listing    `json:"listings"`
	// MonitoringLines are the monitoring lines of the years given one;
	// the district's monitoring_line_fen holds for the years before the
	// first of them (Registry.MonitoringLineFor).
	MonitoringLines []MonitoringLine `json:"monitoring_lines,omitempty"`
	// HouseholdTerms are households' members and baseline income from a
	// date on; before a household's first terms, those of its record hold.
	HouseholdTerms []HouseholdTerms `json:"household_terms,omitempty"`

	// places are the records' 1-based places in the file, by kind, when
	// some records could not be decoded (so errors name the right one).
	places map[string][]int
}

// place is the 1-based place in the file of the i-th decoded record of kind.
func (f *RegistryFile) place(kind string, i int) int {
	if p := f.places[kind]; i < len(p) {
		return p[i]
	}
	return i + 1
}

// MaxRegistryFileBytes bounds a registry file: a district's registry of
// tens of thousands of households is a few megabytes.
const MaxRegistryFileBytes = 64 << 20

// ErrNotUTF8 is returned for a registry file that is not UTF-8 text;
// callers that can tell the encoding (ingest/registry) name it.
var ErrNotUTF8 = errors.New("registry file is not UTF-8")

// ParseRegistryFile decodes a registry file and validates it as a whole
// registry (Validate): every problem is reported at once, one line each,
// each naming its record.
func ParseRegistryFile(data []byte) (*RegistryFile, error) { return ParseRegistryFileOnto(data, nil) }

// ParseRegistryFileOnto decodes a registry file and validates it as an
// addition to reg, the registry already loaded (ValidateOnto). The records
// that cannot be decoded and the problems of those that can are reported
// together.
func ParseRegistryFileOnto(data []byte, reg *Registry) (*RegistryFile, error) {
	f, errs, err := decodeRegistryFile(data)
	if err != nil {
		return nil, err
	}
	errs = append(errs, f.check(reg)...)
	if len(errs) > 0 {
		return nil, problems(errs)
	}
	return f, nil
}

// DecodeRegistryFile decodes a registry file without checking it against
// anything. A UTF-8 byte-order mark is skipped; other bytes that are not
// UTF-8 are refused (ErrNotUTF8) rather than turned into U+FFFD. Each
// record is decoded on its own, so every record that cannot be decoded is
// reported at once, each named by its place and id. An effective_from may
// be a date alone (YYYY-MM-DD): midnight, China time.
func DecodeRegistryFile(data []byte) (*RegistryFile, error) {
	f, errs, err := decodeRegistryFile(data)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, problems(errs)
	}
	return f, nil
}

// decodeRegistryFile decodes what it can: err when the file as a whole is
// unreadable, else the file of the records that decode and the problems of
// those that do not.
func decodeRegistryFile(data []byte) (f *RegistryFile, errs []error, err error) {
	if len(data) > MaxRegistryFileBytes {
		return nil, nil, fmt.Errorf("registry file is %d bytes, more than the %d a registry may take", len(data), MaxRegistryFileBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, nil, fmt.Errorf("%w (the first byte that is not is at offset %d)", ErrNotUTF8, invalidPrefix(data))
	}
	var raw struct {
		District    json.RawMessage   `json:"district"`
		Villages    []json.RawMessage `json:"villages"`
		Households  []json.RawMessage `json:"households"`
		Enterprises []json.RawMessage `json:"enterprises"`
		Listings    []json.RawMessage `json:"listings"`
		// Lines and terms over time (issue #17): a file without them is
		// read as before.
		MonitoringLines []json.RawMessage `json:"monitoring_lines"`
		HouseholdTerms  []json.RawMessage `json:"household_terms"`
	}
	if err := strictDecode(data, &raw); err != nil {
		return nil, nil, fmt.Errorf("registry file is not a JSON object of the registry format: %w", err)
	}
	f = &RegistryFile{places: map[string][]int{}}
	if len(raw.District) > 0 && string(raw.District) != "null" {
		if err := strictDecode(raw.District, &f.District); err != nil {
			errs = append(errs, fmt.Errorf("district: %w", err))
		}
	}
	f.Villages = decodeRecords[Village](raw.Villages, "village", f.places, &errs)
	f.Households = decodeRecords[Household](raw.Households, "household", f.places, &errs)
	for i := range f.Households {
		if c, ok := categoryAliases[f.Households[i].Category]; ok {
			f.Households[i].Category = c
		}
	}
	f.Enterprises = decodeRecords[Enterprise](raw.Enterprises, "enterprise", f.places, &errs)
	for _, l := range decodeRecords[listingJSON](raw.Listings, "listing", f.places, &errs) {
		l.Listing.EffectiveFrom = l.EffectiveFrom.Time
		f.Listings = append(f.Listings, l.Listing)
	}
	f.MonitoringLines = decodeRecords[MonitoringLine](raw.MonitoringLines, "monitoring line", f.places, &errs)
	f.HouseholdTerms = decodeRecords[HouseholdTerms](raw.HouseholdTerms, "household terms", f.places, &errs)
	return f, errs, nil
}

// invalidPrefix is the offset of the first byte that is not UTF-8.
func invalidPrefix(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// strictDecode decodes one JSON value, refusing unknown fields and
// anything after the value.
func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// decodeRecords decodes each record on its own; one that fails is reported
// by kind, place and (if it has one) id, and left out.
func decodeRecords[T any](raws []json.RawMessage, kind string, places map[string][]int, errs *[]error) []T {
	out := make([]T, 0, len(raws))
	for i, raw := range raws {
		var v T
		if err := strictDecode(raw, &v); err != nil {
			*errs = append(*errs, fmt.Errorf("%s #%d%s: %w", kind, i+1, recordName(raw), err))
			continue
		}
		out = append(out, v)
		places[kind] = append(places[kind], i+1)
	}
	return out
}

// recordName is " (id …)" or " (platform:sku)" for a record that could not
// be decoded, read as leniently as possible, so the error names it.
func recordName(raw json.RawMessage) string {
	var ids struct {
		ID       any `json:"id"`
		Platform any `json:"platform"`
		SKUID    any `json:"sku_id"`
	}
	if json.Unmarshal(raw, &ids) != nil {
		return ""
	}
	switch {
	case ids.ID != nil && idCardLike.MatchString(fmt.Sprint(ids.ID)):
		return ""
	case ids.ID != nil:
		return fmt.Sprintf(" (id %v)", ids.ID)
	case ids.Platform != nil || ids.SKUID != nil:
		return fmt.Sprintf(" (%v:%v)", ids.Platform, ids.SKUID)
	}
	return ""
}

// listingJSON is a listing as a file writes it: effective_from may be a
// date alone. Its EffectiveFrom hides the embedded Listing's.
type listingJSON struct {
	Listing
	EffectiveFrom effectiveTime `json:"effective_from"`
}

// effectiveTime is an RFC 3339 time with its offset, or a date YYYY-MM-DD
// meaning the midnight that starts it in China time (not UTC: a listing
// "from 2020-04-01" covers the orders of that China-time day).
type effectiveTime struct{ time.Time }

func (t *effectiveTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("effective_from must be a string: an RFC 3339 time or a date YYYY-MM-DD")
	}
	if len(s) == len(DayLayout) {
		d, err := ParseDay(s)
		if err != nil {
			return fmt.Errorf("effective_from %q is not a date YYYY-MM-DD", s)
		}
		t.Time = d
		return nil
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		hint := ""
		if !strings.ContainsAny(s[min(len(s), 19):], "Z+-") {
			hint = " (it needs a zone offset, e.g. +08:00)"
		}
		return fmt.Errorf("effective_from %q is neither an RFC 3339 time such as 2020-04-01T00:00:00+08:00%s nor a date YYYY-MM-DD", s, hint)
	}
	t.Time = v
	return nil
}

// problems joins a file's problems under one count.
func problems(errs []error) error {
	return fmt.Errorf("registry file has %d problem(s):\n%w", len(errs), errors.Join(errs...))
}

// Events turns the file into registry events, in dependency order.
func (f *RegistryFile) Events() []Event {
	out := []Event{}
	if f.District != (District{}) {
		out = append(out, &DistrictDefined{f.District})
	}
	for _, l := range f.MonitoringLines {
		out = append(out, &MonitoringLineSet{l})
	}
	for _, v := range f.Villages {
		out = append(out, &VillageRegistered{v})
	}
	for _, h := range f.Households {
		out = append(out, &HouseholdRegistered{h})
	}
	for _, t := range f.HouseholdTerms {
		out = append(out, &HouseholdTermsSet{t})
	}
	for _, e := range f.Enterprises {
		out = append(out, &EnterpriseRegistered{e})
	}
	for _, l := range f.Listings {
		out = append(out, &ListingPublished{l})
	}
	return out
}
