package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds on what a registry file may hold. Ids key everything Loquat
// computes with, so they are short and plain; names are only carried, so
// they are only bounded; amounts and weights are bounded far above any real
// value so that sums of them cannot overflow.
const (
	maxRegistryIDBytes    = 64
	maxRegistryTextRunes  = 200
	maxHouseholdMembers   = 100
	maxRegistryAmountFen  = Fen(100_000_000_000) // a billion yuan
	maxListingHouseholds  = 10_000
	maxHouseholdWeight    = 1_000_000
	earliestEffectiveYear = 2000 // the programmes began long after
	latestEffectiveYear   = 2100
)

// Validate checks the file as a whole registry: every record on its own,
// and every reference resolved within the file. Every problem is reported
// at once, one line each, each naming its record.
func (f *RegistryFile) Validate() error { return f.ValidateOnto(nil) }

// ValidateOnto checks the file as an addition to reg, the registry already
// loaded (nil: none). A reference may name an entity of the file or of reg;
// the district may be left out when reg has one.
func (f *RegistryFile) ValidateOnto(reg *Registry) error {
	if errs := f.check(reg); len(errs) > 0 {
		return problems(errs)
	}
	return nil
}

func (f *RegistryFile) check(reg *Registry) []error {
	c := &fileCheck{f: f, reg: reg}
	c.checkDistrict()
	c.checkMonitoringLines()
	c.checkVillages()
	c.checkHouseholds()
	c.checkHouseholdTerms()
	c.checkEnterprises()
	c.checkListings()
	return c.errs
}

// fileCheck collects a file's problems.
type fileCheck struct {
	f    *RegistryFile
	reg  *Registry
	errs []error
	// In the file, by id.
	villages, households, enterprises map[string]bool
}

// add records the problems of one record, each line naming it.
func (c *fileCheck) add(record string, problems ...string) {
	for _, p := range problems {
		c.errs = append(c.errs, fmt.Errorf("%s: %s", record, p))
	}
}

// event adds the event's own validation when the file's checks missed
// something it refuses, so that an accepted file's events always validate.
func (c *fileCheck) event(record string, found int, e Event) {
	if found > 0 {
		return
	}
	if err := e.Validate(); err != nil {
		c.add(record, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
}

func (c *fileCheck) checkDistrict() {
	d := c.f.District
	if d == (District{}) {
		if c.reg == nil || c.reg.District.ID == "" {
			c.add("district", "is missing: the first registry loaded must define the district")
		}
		return
	}
	var p []string
	p = appendIDProblems(p, "id", d.ID)
	p = appendTextProblems(p, "name", d.Name)
	if c.reg != nil && c.reg.District.ID != "" && d.ID != c.reg.District.ID {
		p = append(p, fmt.Sprintf("id %s is not the loaded district's, %s: a log holds one district's registry", d.ID, c.reg.District.ID))
	}
	if d.MonitoringLineFen <= 0 || d.MonitoringLineFen > maxRegistryAmountFen {
		p = append(p, fmt.Sprintf("monitoring_line_fen is %d, must be positive fen per person per year (at most %d)", d.MonitoringLineFen, maxRegistryAmountFen))
	}
	c.add("district", p...)
	c.event("district", len(p), &DistrictDefined{d})
}

func (c *fileCheck) checkVillages() {
	c.villages = map[string]bool{}
	for i, v := range c.f.Villages {
		record := c.recordLabel("village", i, v.ID)
		var p []string
		p = appendIDProblems(p, "id", v.ID)
		p = appendTextProblems(p, "name", v.Name)
		p = appendTextProblems(p, "town", v.Town)
		p = c.appendDuplicate(p, c.villages, v.ID)
		c.add(record, p...)
		c.event(record, len(p), &VillageRegistered{v})
	}
}

func (c *fileCheck) checkHouseholds() {
	c.households = map[string]bool{}
	for i, h := range c.f.Households {
		record := c.recordLabel("household", i, h.ID)
		var p []string
		p = appendIDProblems(p, "id", h.ID)
		if idCardLike.MatchString(h.ID) {
			p = append(p, "id looks like an ID-card number; use a pseudonymous id")
		}
		p = c.appendDuplicate(p, c.households, h.ID)
		p = c.appendReference(p, "village", h.VillageID, c.villages, c.regHas(func(r *Registry) bool { _, ok := r.Villages[h.VillageID]; return ok }))
		if h.Members < 1 || h.Members > maxHouseholdMembers {
			p = append(p, fmt.Sprintf("members is %d, must be from 1 to %d", h.Members, maxHouseholdMembers))
		}
		if h.BaselineIncomeFen < 0 || h.BaselineIncomeFen > maxRegistryAmountFen {
			p = append(p, fmt.Sprintf("baseline_income_fen is %d, must be from 0 to %d", h.BaselineIncomeFen, maxRegistryAmountFen))
		}
		if !slices.Contains(HouseholdCategories, h.Category) {
			p = append(p, fmt.Sprintf("category %q is not one of %s (监测对象 is read as 监测户)", h.Category, strings.Join(HouseholdCategories, ", ")))
		}
		c.add(record, p...)
		c.event(record, len(p), &HouseholdRegistered{h})
	}
}

func (c *fileCheck) checkMonitoringLines() {
	years := map[int]bool{}
	for i, l := range c.f.MonitoringLines {
		record := fmt.Sprintf("monitoring line of %d", l.Year)
		if l.Year == 0 {
			record = fmt.Sprintf("monitoring line #%d", c.f.place("monitoring line", i))
		}
		var p []string
		if l.Year < earliestEffectiveYear || l.Year > latestEffectiveYear {
			p = append(p, fmt.Sprintf("year %d is not between %d and %d", l.Year, earliestEffectiveYear, latestEffectiveYear))
		}
		if l.LineFen <= 0 || l.LineFen > maxRegistryAmountFen {
			p = append(p, fmt.Sprintf("monitoring_line_fen is %d, must be positive fen per person per year (at most %d)", l.LineFen, maxRegistryAmountFen))
		}
		if years[l.Year] && l.Year != 0 {
			p = append(p, "appears twice in the file")
		}
		years[l.Year] = true
		c.add(record, p...)
		c.event(record, len(p), &MonitoringLineSet{l})
	}
}

func (c *fileCheck) checkHouseholdTerms() {
	seen := map[[2]string]bool{}
	for i, t := range c.f.HouseholdTerms {
		record := fmt.Sprintf("household terms %q from %s", bounded(t.HouseholdID), bounded(t.From))
		if t.HouseholdID == "" || idCardLike.MatchString(t.HouseholdID) {
			record = fmt.Sprintf("household terms #%d", c.f.place("household terms", i))
		}
		var p []string
		p = c.appendReference(p, "household", t.HouseholdID, c.households, c.regHas(func(r *Registry) bool { _, ok := r.Households[t.HouseholdID]; return ok }))
		for _, err := range t.problems() {
			if t.HouseholdID != "" || !strings.HasPrefix(err.Error(), "household_id") {
				p = append(p, err.Error())
			}
		}
		k := [2]string{t.HouseholdID, t.From}
		if seen[k] {
			p = append(p, "appears twice in the file (one household, one from date)")
		}
		seen[k] = true
		c.add(record, p...)
		c.event(record, len(p), &HouseholdTermsSet{t})
	}
}

func (c *fileCheck) checkEnterprises() {
	c.enterprises = map[string]bool{}
	for i, e := range c.f.Enterprises {
		record := c.recordLabel("enterprise", i, e.ID)
		var p []string
		p = appendIDProblems(p, "id", e.ID)
		p = appendTextProblems(p, "name", e.Name)
		p = appendTextProblems(p, "party_branch", e.PartyBranch)
		p = c.appendDuplicate(p, c.enterprises, e.ID)
		seen := map[string]bool{}
		for _, v := range e.PairedVillages {
			if seen[v] {
				p = append(p, fmt.Sprintf("paired village %s is listed twice", v))
			}
			seen[v] = true
			p = c.appendReference(p, "paired village", v, c.villages, c.regHas(func(r *Registry) bool { _, ok := r.Villages[v]; return ok }))
		}
		c.add(record, p...)
		c.event(record, len(p), &EnterpriseRegistered{e})
	}
}

func (c *fileCheck) checkListings() {
	versions := map[string]bool{}
	for i, l := range c.f.Listings {
		record := c.listingLabel(i, &l)
		var p []string
		p = appendIDProblems(p, "platform", l.Platform)
		p = appendIDProblems(p, "sku_id", l.SKUID)
		p = appendIDProblems(p, "product", l.Product)
		p = appendTextProblems(p, "name", l.Name)
		if y := l.EffectiveFrom.Year(); l.EffectiveFrom.IsZero() {
			p = append(p, "effective_from is missing")
		} else if y < earliestEffectiveYear || y > latestEffectiveYear {
			p = append(p, fmt.Sprintf("effective_from %s is not between %d and %d", l.EffectiveFrom.Format(time.RFC3339), earliestEffectiveYear, latestEffectiveYear))
		}
		if versions[l.Key()] && !l.EffectiveFrom.IsZero() {
			p = append(p, "appears twice in the file with the same effective_from")
		}
		versions[l.Key()] = true
		p = c.appendReference(p, "enterprise", l.EnterpriseID, c.enterprises, c.regHas(func(r *Registry) bool { _, ok := r.Enterprises[l.EnterpriseID]; return ok }))
		p = c.appendReference(p, "village", l.VillageID, c.villages, c.regHas(func(r *Registry) bool { _, ok := r.Villages[l.VillageID]; return ok }))
		p = append(p, c.listingShares(&l)...)
		c.add(record, p...)
		c.event(record, len(p), &ListingPublished{l})
	}
}

// listingShares checks the shares and the households they go to.
func (c *fileCheck) listingShares(l *Listing) []string {
	var p []string
	if l.HouseholdsBP < 0 || l.VillageCollectiveBP < 0 || l.HouseholdsBP+l.VillageCollectiveBP > BasisPoints {
		p = append(p, fmt.Sprintf("households_bp %d + village_collective_bp %d must be non-negative and at most %d (the rest goes to the enterprise)",
			l.HouseholdsBP, l.VillageCollectiveBP, BasisPoints))
	}
	if len(l.Households) > maxListingHouseholds {
		return append(p, fmt.Sprintf("lists %d households, at most %d", len(l.Households), maxListingHouseholds))
	}
	var weights int64
	seen := map[string]bool{}
	for _, h := range l.Households {
		if seen[h.ID] {
			p = append(p, fmt.Sprintf("household %s is listed twice", h.ID))
		}
		seen[h.ID] = true
		p = c.appendReference(p, "household", h.ID, c.households, c.regHas(func(r *Registry) bool { _, ok := r.Households[h.ID]; return ok }))
		if h.Weight < 0 || h.Weight > maxHouseholdWeight {
			p = append(p, fmt.Sprintf("household %s has weight %d, must be from 0 to %d", h.ID, h.Weight, maxHouseholdWeight))
			continue
		}
		weights += h.Weight
	}
	if l.HouseholdsBP > 0 && weights <= 0 {
		p = append(p, fmt.Sprintf("households_bp is %d but no household has a positive weight", l.HouseholdsBP))
	}
	return p
}

// regHas asks the loaded registry, if any.
func (c *fileCheck) regHas(has func(*Registry) bool) bool { return c.reg != nil && has(c.reg) }

func (c *fileCheck) appendDuplicate(p []string, seen map[string]bool, id string) []string {
	if id != "" && seen[id] {
		p = append(p, "appears twice in the file")
	}
	seen[id] = true
	return p
}

// appendReference checks that a referenced id is in the file or (when
// loading onto a registry) already loaded.
func (c *fileCheck) appendReference(p []string, kind, id string, inFile map[string]bool, loaded bool) []string {
	switch {
	case id == "":
		return append(p, kind+" id is empty")
	case inFile[id] || loaded:
		return p
	case idCardLike.MatchString(id):
		return append(p, fmt.Sprintf("a %s id looks like an ID-card number (not repeated here); use a pseudonymous id", kind))
	case c.reg == nil:
		return append(p, fmt.Sprintf("%s %s is not in the file", kind, id))
	}
	return append(p, fmt.Sprintf("%s %s is neither in the file nor in the registry loaded before", kind, id))
}

func appendIDProblems(p []string, field, id string) []string {
	switch {
	case id == "":
		return append(p, field+" is empty")
	case len(id) > maxRegistryIDBytes:
		return append(p, fmt.Sprintf("%s is %d bytes long, at most %d", field, len(id), maxRegistryIDBytes))
	case strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError }):
		return append(p, fmt.Sprintf("%s %q contains spaces or control characters", field, id))
	}
	return p
}

func appendTextProblems(p []string, field, text string) []string {
	if n := utf8.RuneCountInString(text); n > maxRegistryTextRunes {
		p = append(p, fmt.Sprintf("%s is %d characters long, at most %d", field, n, maxRegistryTextRunes))
	}
	return p
}

// recordLabel names the i-th record of its kind by id, or by its place in
// the file when the id is empty or must not be repeated (one that looks
// like an ID-card number).
func (c *fileCheck) recordLabel(kind string, i int, id string) string {
	if id == "" || idCardLike.MatchString(id) {
		return fmt.Sprintf("%s #%d", kind, c.f.place(kind, i))
	}
	return fmt.Sprintf("%s %q", kind, bounded(id))
}

func (c *fileCheck) listingLabel(i int, l *Listing) string {
	label := fmt.Sprintf("listing %q", bounded(l.Platform+":"+l.SKUID))
	if l.Platform == "" && l.SKUID == "" {
		label = fmt.Sprintf("listing #%d", c.f.place("listing", i))
	}
	if !l.EffectiveFrom.IsZero() {
		label += " from " + l.EffectiveFrom.Format(time.RFC3339)
	}
	return label
}

// bounded shortens an id for a message.
func bounded(s string) string {
	if len(s) <= 2*maxRegistryIDBytes {
		return s
	}
	return strings.ToValidUTF8(s[:2*maxRegistryIDBytes], "") + "…"
}
