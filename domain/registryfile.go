package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// RegistryFile is the file `loquat registry load` reads (see samples/registry.json).
type RegistryFile struct {
	District    District     `json:"district"`
	Villages    []Village    `json:"villages"`
	Households  []Household  `json:"households"`
	Enterprises []Enterprise `json:"enterprises"`
	Listings    []Listing    `json:"listings"`
}

// ParseRegistryFile decodes and validates a registry file. Every problem is
// reported at once, each naming the entity it is about.
func ParseRegistryFile(data []byte) (*RegistryFile, error) {
	var f RegistryFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("registry file is not valid JSON of the registry format: %w", err)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// Validate checks every entity and every reference between them.
func (f *RegistryFile) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add((&DistrictDefined{f.District}).Validate())
	villages := map[string]bool{}
	for _, v := range f.Villages {
		add((&VillageRegistered{v}).Validate())
		if villages[v.ID] {
			add(fmt.Errorf("village %s appears twice", v.ID))
		}
		villages[v.ID] = true
	}
	households := map[string]bool{}
	for _, h := range f.Households {
		add(h.Validate())
		if households[h.ID] {
			add(fmt.Errorf("household %s appears twice", h.ID))
		}
		households[h.ID] = true
		if !villages[h.VillageID] {
			add(fmt.Errorf("household %s: village %s is not in the file", h.ID, h.VillageID))
		}
	}
	enterprises := map[string]bool{}
	for _, e := range f.Enterprises {
		add((&EnterpriseRegistered{e}).Validate())
		if enterprises[e.ID] {
			add(fmt.Errorf("enterprise %s appears twice", e.ID))
		}
		enterprises[e.ID] = true
		for _, v := range e.PairedVillages {
			if !villages[v] {
				add(fmt.Errorf("enterprise %s: paired village %s is not in the file", e.ID, v))
			}
		}
	}
	versions := map[string]bool{}
	for _, l := range f.Listings {
		add(l.Validate())
		if versions[l.Key()] {
			add(fmt.Errorf("listing %s appears twice", l.Key()))
		}
		versions[l.Key()] = true
		if !enterprises[l.EnterpriseID] {
			add(fmt.Errorf("listing %s: enterprise %s is not in the file", l.Key(), l.EnterpriseID))
		}
		if !villages[l.VillageID] {
			add(fmt.Errorf("listing %s: village %s is not in the file", l.Key(), l.VillageID))
		}
		for _, h := range l.Households {
			if !households[h.ID] {
				add(fmt.Errorf("listing %s: household %s is not in the file", l.Key(), h.ID))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("registry file has %d problem(s): %w", len(errs), errors.Join(errs...))
	}
	return nil
}

// Events turns the file into registry events, in dependency order.
func (f *RegistryFile) Events() []Event {
	out := []Event{&DistrictDefined{f.District}}
	for _, v := range f.Villages {
		out = append(out, &VillageRegistered{v})
	}
	for _, h := range f.Households {
		out = append(out, &HouseholdRegistered{h})
	}
	for _, e := range f.Enterprises {
		out = append(out, &EnterpriseRegistered{e})
	}
	for _, l := range f.Listings {
		out = append(out, &ListingPublished{l})
	}
	return out
}
