package domain

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// RegistryChanges is what loading a file onto a registry changes.
type RegistryChanges struct {
	// Events are the file's new and changed records, in dependency order:
	// appended, they make the registry hold every record of the file.
	// Records equal to the registry's are left out.
	Events []Event
	// New, Changed and Unchanged count the file's records (the district
	// included).
	New, Changed, Unchanged int
	// Missing names, in order, each village, household, enterprise,
	// monitoring line, household terms and listing version of the registry that the file does not hold: what a
	// file meant to hold the whole registry lacks.
	Missing []string
}

// ChangesTo compares the file with reg, the registry already loaded (nil:
// none). It does not validate the file.
func (f *RegistryFile) ChangesTo(reg *Registry) RegistryChanges {
	if reg == nil {
		reg = NewRegistry()
	}
	var c RegistryChanges
	count := func(e Event, known, equal bool) {
		switch {
		case !known:
			c.New++
		case !equal:
			c.Changed++
		default:
			c.Unchanged++
			return
		}
		c.Events = append(c.Events, e)
	}
	if f.District != (District{}) {
		count(&DistrictDefined{f.District}, reg.District != (District{}), reg.District == f.District)
	}
	for _, l := range f.MonitoringLines {
		old, ok := reg.lines[l.Year]
		count(&MonitoringLineSet{l}, ok, old == l.LineFen)
	}
	for _, v := range f.Villages {
		old, ok := reg.Villages[v.ID]
		count(&VillageRegistered{v}, ok, old == v)
	}
	for _, h := range f.Households {
		old, ok := reg.Households[h.ID]
		count(&HouseholdRegistered{h}, ok, old == h)
	}
	for _, t := range f.HouseholdTerms {
		i := slices.IndexFunc(reg.terms[t.HouseholdID], func(o HouseholdTerms) bool { return o.From == t.From })
		count(&HouseholdTermsSet{t}, i >= 0, i >= 0 && reg.terms[t.HouseholdID][i] == t)
	}
	for _, e := range f.Enterprises {
		old, ok := reg.Enterprises[e.ID]
		count(&EnterpriseRegistered{e}, ok, old.ID == e.ID && old.Name == e.Name && old.PartyBranch == e.PartyBranch &&
			slices.Equal(old.PairedVillages, e.PairedVillages))
	}
	for _, l := range f.Listings {
		old := reg.ListingVersion(l.Platform, l.SKUID, l.EffectiveFrom)
		count(&ListingPublished{l}, old != nil, old != nil && old.Equal(&l))
	}
	c.Missing = f.missingFrom(reg)
	return c
}

// missingFrom lists what reg holds and the file does not.
func (f *RegistryFile) missingFrom(reg *Registry) []string {
	var out []string
	missing := func(kind string, loaded []string, inFile func(string) bool) {
		for _, id := range loaded {
			if !inFile(id) {
				out = append(out, fmt.Sprintf("%s %q", kind, id))
			}
		}
	}
	missing("village", slices.Sorted(maps.Keys(reg.Villages)), func(id string) bool {
		return slices.ContainsFunc(f.Villages, func(v Village) bool { return v.ID == id })
	})
	missing("household", slices.Sorted(maps.Keys(reg.Households)), func(id string) bool {
		return slices.ContainsFunc(f.Households, func(h Household) bool { return h.ID == id })
	})
	missing("enterprise", slices.Sorted(maps.Keys(reg.Enterprises)), func(id string) bool {
		return slices.ContainsFunc(f.Enterprises, func(e Enterprise) bool { return e.ID == id })
	})
	for _, l := range reg.MonitoringLines() {
		if !slices.ContainsFunc(f.MonitoringLines, func(fl MonitoringLine) bool { return fl.Year == l.Year }) {
			out = append(out, fmt.Sprintf("monitoring line of %d", l.Year))
		}
	}
	for _, t := range reg.HouseholdTermsAll() {
		if !slices.ContainsFunc(f.HouseholdTerms, func(ft HouseholdTerms) bool { return ft.HouseholdID == t.HouseholdID && ft.From == t.From }) {
			out = append(out, fmt.Sprintf("household terms %q from %s", t.HouseholdID, t.From))
		}
	}
	for _, l := range reg.Listings() {
		if !slices.ContainsFunc(f.Listings, func(fl Listing) bool {
			return fl.Platform == l.Platform && fl.SKUID == l.SKUID && fl.EffectiveFrom.Equal(l.EffectiveFrom)
		}) {
			out = append(out, fmt.Sprintf("listing %q from %s", l.Platform+":"+l.SKUID, l.EffectiveFrom.Format(time.RFC3339)))
		}
	}
	return out
}
