package domain

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"
)

// BasisPoints is the whole of a listing's shares: 10000 bp = 100%.
const BasisPoints = 10000

// District is the administrative district running the programme.
type District struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// MonitoringLineFen is the poverty-monitoring line (防返贫监测线) in fen per
	// person per year, of every year before the first year given a line of
	// its own (MonitoringLine; see Registry.MonitoringLineFor): a registry
	// loaded before lines were kept per year has this one line for every year.
	MonitoringLineFen Fen `json:"monitoring_line_fen"`
}

// Village is an administrative village (行政村).
type Village struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Town string `json:"town"`
}

// HouseholdCategories are the categories a registry file may give a
// household: the terms of the national monitoring system for preventing a
// return to poverty (全国防止返贫监测信息系统), which district staff copy
// their registers from.
//
//   - 脱贫户: a household lifted out of poverty (formerly 建档立卡贫困户);
//   - 监测户: a monitored household (监测对象) whose kind is not recorded;
//   - 脱贫不稳定户, 边缘易致贫户, 突发严重困难户: the three kinds of monitored
//     household (unstable after leaving poverty; on the margin, prone to
//     poverty; in sudden severe hardship);
//   - 一般农户: an ordinary farm household, neither of the above.
//
// A file may write 监测对象 for 监测户; it is loaded as 监测户. Events already
// in the log keep whatever category they were loaded with.
var HouseholdCategories = []string{"脱贫户", "监测户", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户", "一般农户"}

// categoryAliases maps other spellings in use to a HouseholdCategories term.
var categoryAliases = map[string]string{"监测对象": "监测户"}

// Household is a registered household. Its ID is pseudonymous: never a name
// or an ID-card number.
type Household struct {
	ID        string `json:"id"`
	VillageID string `json:"village_id"`
	Members   int64  `json:"members"`
	// BaselineIncomeFen is the household's annual income before the programme.
	BaselineIncomeFen Fen    `json:"baseline_income_fen"`
	Category          string `json:"category"`
}

// Enterprise is a partner enterprise and its party branch.
type Enterprise struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	PartyBranch    string   `json:"party_branch"`
	PairedVillages []string `json:"paired_villages"`
}

// HouseholdWeight is one household's integer weight within a listing's
// households share.
type HouseholdWeight struct {
	ID     string `json:"id"`
	Weight int64  `json:"weight"`
}

// Listing maps a platform SKU to the enterprise selling it and to the people
// whose produce it is, from EffectiveFrom on.
type Listing struct {
	Platform      string    `json:"platform"`
	SKUID         string    `json:"sku_id"`
	Product       string    `json:"product"`
	Name          string    `json:"name"`
	EnterpriseID  string    `json:"enterprise_id"`
	VillageID     string    `json:"village_id"`
	EffectiveFrom time.Time `json:"effective_from"`
	// HouseholdsBP is split among Households by weight; VillageCollectiveBP
	// goes to the village collective; the rest of BasisPoints to the enterprise.
	HouseholdsBP        int64             `json:"households_bp"`
	VillageCollectiveBP int64             `json:"village_collective_bp"`
	Households          []HouseholdWeight `json:"households"`
}

// Key names the listing version: platform, SKU and effective time.
func (l *Listing) Key() string {
	return l.Platform + ":" + l.SKUID + "@" + l.EffectiveFrom.In(ChinaTime).Format(time.RFC3339)
}

// Equal reports whether two listings are the same in every field.
func (l *Listing) Equal(o *Listing) bool {
	if l.Platform != o.Platform || l.SKUID != o.SKUID || l.Product != o.Product || l.Name != o.Name ||
		l.EnterpriseID != o.EnterpriseID || l.VillageID != o.VillageID || !l.EffectiveFrom.Equal(o.EffectiveFrom) ||
		l.HouseholdsBP != o.HouseholdsBP || l.VillageCollectiveBP != o.VillageCollectiveBP || len(l.Households) != len(o.Households) {
		return false
	}
	for i := range l.Households {
		if l.Households[i] != o.Households[i] {
			return false
		}
	}
	return true
}

// EnterpriseBP is the enterprise's share in basis points.
func (l *Listing) EnterpriseBP() int64 { return BasisPoints - l.HouseholdsBP - l.VillageCollectiveBP }

var idCardLike = regexp.MustCompile(`^[0-9]{17}[0-9Xx]$`)

// Validate checks the listing on its own (not against the registry).
func (l *Listing) Validate() error {
	var errs []error
	if l.Platform == "" {
		errs = append(errs, errors.New("platform is empty"))
	}
	if l.SKUID == "" {
		errs = append(errs, errors.New("sku_id is empty"))
	}
	if l.EnterpriseID == "" {
		errs = append(errs, errors.New("enterprise_id is empty"))
	}
	if l.VillageID == "" {
		errs = append(errs, errors.New("village_id is empty"))
	}
	if l.EffectiveFrom.IsZero() {
		errs = append(errs, errors.New("effective_from is missing"))
	}
	if l.HouseholdsBP < 0 || l.VillageCollectiveBP < 0 || l.HouseholdsBP+l.VillageCollectiveBP > BasisPoints {
		errs = append(errs, fmt.Errorf("households_bp %d + village_collective_bp %d must be non-negative and at most %d",
			l.HouseholdsBP, l.VillageCollectiveBP, BasisPoints))
	}
	var weights int64
	seen := map[string]bool{}
	for _, h := range l.Households {
		if h.ID == "" {
			errs = append(errs, errors.New("a household has an empty id"))
		}
		if seen[h.ID] {
			errs = append(errs, fmt.Errorf("household %s is listed twice", h.ID))
		}
		seen[h.ID] = true
		if h.Weight < 0 {
			errs = append(errs, fmt.Errorf("household %s has negative weight %d", h.ID, h.Weight))
		}
		weights += h.Weight
	}
	if l.HouseholdsBP > 0 && weights <= 0 {
		errs = append(errs, fmt.Errorf("households_bp is %d but no household has a positive weight", l.HouseholdsBP))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("listing %s: %w", l.Key(), err)
	}
	return nil
}

// Validate checks the household on its own.
func (h *Household) Validate() error {
	var errs []error
	if h.ID == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	if idCardLike.MatchString(h.ID) {
		errs = append(errs, errors.New("id looks like an ID-card number; use a pseudonymous id"))
	}
	if h.VillageID == "" {
		errs = append(errs, errors.New("village_id is empty"))
	}
	if h.Members < 1 {
		errs = append(errs, fmt.Errorf("members is %d, must be at least 1", h.Members))
	}
	if h.BaselineIncomeFen < 0 {
		errs = append(errs, fmt.Errorf("baseline_income_fen is negative (%d)", h.BaselineIncomeFen))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("household %q: %w", h.ID, err)
	}
	return nil
}

// Registry is the in-memory index of villages, households, enterprises and
// listing versions that attribution needs. It is not safe for concurrent
// mutation; the projector owns one and applies registry events to it in log order.
type Registry struct {
	District    District
	Villages    map[string]Village
	Households  map[string]Household
	Enterprises map[string]Enterprise
	// listings holds each platform SKU's versions sorted by EffectiveFrom.
	listings map[string][]Listing
	// lines holds the monitoring line of each year given one; terms each
	// household's dated terms sorted by From (registryhistory.go).
	lines map[int]Fen
	terms map[string][]HouseholdTerms
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		Villages:    map[string]Village{},
		Households:  map[string]Household{},
		Enterprises: map[string]Enterprise{},
		listings:    map[string][]Listing{},
		lines:       map[int]Fen{},
		terms:       map[string][]HouseholdTerms{},
	}
}

func skuKey(platform, sku string) string { return platform + "\x00" + sku }

// PutListing adds a listing version, replacing one of the same platform, SKU
// and effective time.
func (r *Registry) PutListing(l Listing) {
	k := skuKey(l.Platform, l.SKUID)
	versions := r.listings[k]
	i := sort.Search(len(versions), func(i int) bool { return !versions[i].EffectiveFrom.Before(l.EffectiveFrom) })
	if i < len(versions) && versions[i].EffectiveFrom.Equal(l.EffectiveFrom) {
		versions[i] = l
	} else {
		versions = append(versions, Listing{})
		copy(versions[i+1:], versions[i:])
		versions[i] = l
	}
	r.listings[k] = versions
}

// ListingAt returns the listing of a platform SKU in force at t: the latest
// version whose EffectiveFrom is not after t. It returns nil when none is.
func (r *Registry) ListingAt(platform, sku string, t time.Time) *Listing {
	versions := r.listings[skuKey(platform, sku)]
	i := sort.Search(len(versions), func(i int) bool { return versions[i].EffectiveFrom.After(t) })
	if i == 0 {
		return nil
	}
	l := versions[i-1]
	return &l
}

// ListingVersion returns the version of a platform SKU's listing effective
// from exactly from, or nil.
func (r *Registry) ListingVersion(platform, sku string, from time.Time) *Listing {
	for _, l := range r.listings[skuKey(platform, sku)] {
		if l.EffectiveFrom.Equal(from) {
			return &l
		}
	}
	return nil
}

// Listings returns every listing version, ordered by platform, SKU and time.
func (r *Registry) Listings() []Listing {
	keys := make([]string, 0, len(r.listings))
	for k := range r.listings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Listing
	for _, k := range keys {
		out = append(out, r.listings[k]...)
	}
	return out
}

// Apply applies a registry event; it reports false for events of other kinds.
func (r *Registry) Apply(e Event) bool {
	switch e := e.(type) {
	case *DistrictDefined:
		r.District = e.District
	case *VillageRegistered:
		r.Villages[e.Village.ID] = e.Village
	case *HouseholdRegistered:
		r.Households[e.Household.ID] = e.Household
	case *EnterpriseRegistered:
		r.Enterprises[e.Enterprise.ID] = e.Enterprise
	case *ListingPublished:
		r.PutListing(e.Listing)
	case *MonitoringLineSet:
		r.PutMonitoringLine(e.MonitoringLine)
	case *HouseholdTermsSet:
		r.PutHouseholdTerms(e.HouseholdTerms)
	default:
		return false
	}
	return true
}
