package domain

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
)

// MonitoringLine is the poverty-monitoring line (防返贫监测线) of one
// calendar year, in fen per person per year. The line is set each year by
// the province; a registry holds one per year it has been given.
type MonitoringLine struct {
	Year    int `json:"year"`
	LineFen Fen `json:"monitoring_line_fen"`
}

// HouseholdTerms are what a household's per-capita income is computed from
// — its members and baseline annual income — from a China-time date on
// (From, YYYY-MM-DD), until the next terms of the same household.
type HouseholdTerms struct {
	HouseholdID       string `json:"household_id"`
	From              string `json:"from"`
	Members           int64  `json:"members"`
	BaselineIncomeFen Fen    `json:"baseline_income_fen"`
}

// MonitoringLineSet sets the monitoring line of one year.
type MonitoringLineSet struct{ MonitoringLine }

func (*MonitoringLineSet) Type() EventType      { return TypeMonitoringLineSet }
func (e *MonitoringLineSet) ID() string         { return contentID(TypeMonitoringLineSet, e) }
func (*MonitoringLineSet) PartitionKey() string { return registryKey }
func (e *MonitoringLineSet) Validate() error {
	var errs []error
	if e.Year < earliestEffectiveYear || e.Year > latestEffectiveYear {
		errs = append(errs, fmt.Errorf("year %d is not between %d and %d", e.Year, earliestEffectiveYear, latestEffectiveYear))
	}
	if e.LineFen <= 0 || e.LineFen > maxRegistryAmountFen {
		errs = append(errs, fmt.Errorf("monitoring_line_fen is %d, must be positive fen per person per year (at most %d)", e.LineFen, maxRegistryAmountFen))
	}
	return errors.Join(errs...)
}

// HouseholdTermsSet sets a household's members and baseline income from a
// date on (or replaces the terms of the same household and date).
type HouseholdTermsSet struct{ HouseholdTerms }

func (*HouseholdTermsSet) Type() EventType      { return TypeHouseholdTermsSet }
func (e *HouseholdTermsSet) ID() string         { return contentID(TypeHouseholdTermsSet, e) }
func (*HouseholdTermsSet) PartitionKey() string { return registryKey }
func (e *HouseholdTermsSet) Validate() error    { return errors.Join(e.HouseholdTerms.problems()...) }

// problems lists what is wrong with the terms on their own.
func (t *HouseholdTerms) problems() []error {
	var errs []error
	if t.HouseholdID == "" {
		errs = append(errs, errors.New("household_id is empty"))
	}
	if d, err := ParseDay(t.From); err != nil {
		errs = append(errs, fmt.Errorf("from %q is not a date YYYY-MM-DD", t.From))
	} else if y := d.Year(); y < earliestEffectiveYear || y > latestEffectiveYear {
		errs = append(errs, fmt.Errorf("from %s is not between %d and %d", t.From, earliestEffectiveYear, latestEffectiveYear))
	}
	if t.Members < 1 || t.Members > maxHouseholdMembers {
		errs = append(errs, fmt.Errorf("members is %d, must be from 1 to %d", t.Members, maxHouseholdMembers))
	}
	if t.BaselineIncomeFen < 0 || t.BaselineIncomeFen > maxRegistryAmountFen {
		errs = append(errs, fmt.Errorf("baseline_income_fen is %d, must be from 0 to %d", t.BaselineIncomeFen, maxRegistryAmountFen))
	}
	return errs
}

// PutMonitoringLine sets a year's line, replacing the one of that year.
func (r *Registry) PutMonitoringLine(l MonitoringLine) {
	if r.lines == nil {
		r.lines = map[int]Fen{}
	}
	r.lines[l.Year] = l.LineFen
}

// MonitoringLines returns the lines set year by year, in year order (not
// the district's single line).
func (r *Registry) MonitoringLines() []MonitoringLine {
	out := make([]MonitoringLine, 0, len(r.lines))
	for y, f := range r.lines {
		out = append(out, MonitoringLine{Year: y, LineFen: f})
	}
	slices.SortFunc(out, func(a, b MonitoringLine) int { return a.Year - b.Year })
	return out
}

// MonitoringLineFor is the line in force in a year: the line set for that
// year; else the line of the latest earlier year that has one (a year's
// line holds until the next is loaded); else the district's single
// monitoring_line_fen, which is therefore the line of every year before
// the first year given one — for a registry of the old format, of every
// year. Loading the line of a year changes the answer for that year and
// the years after it up to the next year given one, never for earlier years.
func (r *Registry) MonitoringLineFor(year int) Fen {
	best, found := 0, false
	for y := range r.lines {
		if y <= year && (!found || y > best) {
			best, found = y, true
		}
	}
	if found {
		return r.lines[best]
	}
	return r.District.MonitoringLineFen
}

// PutHouseholdTerms adds a household's terms from a date on, replacing
// those of the same household and date.
func (r *Registry) PutHouseholdTerms(t HouseholdTerms) {
	if r.terms == nil {
		r.terms = map[string][]HouseholdTerms{}
	}
	versions := r.terms[t.HouseholdID]
	i := sort.Search(len(versions), func(i int) bool { return versions[i].From >= t.From })
	if i < len(versions) && versions[i].From == t.From {
		versions[i] = t
	} else {
		versions = slices.Insert(versions, i, t)
	}
	r.terms[t.HouseholdID] = versions
}

// HouseholdTermsOf returns a household's dated terms in date order (not
// the members and baseline of its registration, which hold before them).
func (r *Registry) HouseholdTermsOf(id string) []HouseholdTerms {
	return slices.Clone(r.terms[id])
}

// HouseholdTermsAll returns every household's dated terms, by household
// and date.
func (r *Registry) HouseholdTermsAll() []HouseholdTerms {
	var out []HouseholdTerms
	for _, id := range slices.Sorted(maps.Keys(r.terms)) {
		out = append(out, r.terms[id]...)
	}
	return out
}

// HouseholdOn is the household as in force on a China-time day
// (YYYY-MM-DD): its members and baseline income are those of its latest
// terms from that day or earlier, or else those it was registered with. ok
// is false for an unknown household.
func (r *Registry) HouseholdOn(id, day string) (h Household, ok bool) {
	h, ok = r.Households[id]
	if !ok {
		return h, false
	}
	versions := r.terms[id]
	i := sort.Search(len(versions), func(i int) bool { return versions[i].From > day })
	if i > 0 {
		h.Members, h.BaselineIncomeFen = versions[i-1].Members, versions[i-1].BaselineIncomeFen
	}
	return h, true
}

// PerCapitaIncome is the per-capita annual income of a household on a
// China-time day (YYYY-MM-DD): (its baseline annual income + its
// programme income of the 365 days ending on that day) ÷ its members,
// both as in force on the day (HouseholdOn), rounded down (floor, so a
// negative sum, possible only after refunds, rounds towards the line, not
// away from it). members below 1 count as 1.
func PerCapitaIncome(baseline, trailingProgramme Fen, members int64) Fen {
	a, b := baseline+trailingProgramme, Fen(max(members, 1))
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Clone returns a copy of the registry that shares nothing mutable with it.
func (r *Registry) Clone() *Registry {
	c := NewRegistry()
	c.District = r.District
	for k, v := range r.Villages {
		c.Villages[k] = v
	}
	for k, v := range r.Households {
		c.Households[k] = v
	}
	for k, v := range r.Enterprises {
		c.Enterprises[k] = v
	}
	for k, v := range r.listings {
		c.listings[k] = slices.Clone(v)
	}
	for y, f := range r.lines {
		c.PutMonitoringLine(MonitoringLine{Year: y, LineFen: f})
	}
	for k, v := range r.terms {
		c.terms[k] = slices.Clone(v)
	}
	return c
}
