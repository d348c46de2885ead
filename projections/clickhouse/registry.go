package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/domain"
)

// registryRows turns a batch's registry events into rows, the last event of
// each key winning: rows of one batch cannot be ordered by argMax.
func registryRows(events []domain.Event, batch uint64) ([]*insert, error) {
	var (
		district    *domain.District
		villages    = map[string]domain.Village{}
		households  = map[string]domain.Household{}
		enterprises = map[string]domain.Enterprise{}
		listings    = map[listingKey]domain.Listing{}
		lines       = map[int]domain.Fen{}
		terms       = map[[2]string]domain.HouseholdTerms{}
		order       []any // keys in first-seen order, for stable inserts
	)
	for _, e := range events {
		switch e := e.(type) {
		case *domain.DistrictDefined:
			d := e.District
			district = &d
		case *domain.VillageRegistered:
			if _, ok := villages[e.Village.ID]; !ok {
				order = append(order, e.Village)
			}
			villages[e.Village.ID] = e.Village
		case *domain.HouseholdRegistered:
			if _, ok := households[e.Household.ID]; !ok {
				order = append(order, e.Household)
			}
			households[e.Household.ID] = e.Household
		case *domain.EnterpriseRegistered:
			if _, ok := enterprises[e.Enterprise.ID]; !ok {
				order = append(order, e.Enterprise)
			}
			enterprises[e.Enterprise.ID] = e.Enterprise
		case *domain.ListingPublished:
			k := listingKey{e.Platform, e.SKUID, e.EffectiveFrom.UnixNano()}
			if _, ok := listings[k]; !ok {
				order = append(order, k)
			}
			listings[k] = e.Listing
		case *domain.MonitoringLineSet:
			if _, ok := lines[e.Year]; !ok {
				order = append(order, e.MonitoringLine)
			}
			lines[e.Year] = e.LineFen
		case *domain.HouseholdTermsSet:
			k := [2]string{e.HouseholdID, e.From}
			if _, ok := terms[k]; !ok {
				order = append(order, k)
			}
			terms[k] = e.HouseholdTerms
		default:
			return nil, fmt.Errorf("not a registry event: %s", e.Type())
		}
	}
	var (
		dID, dName                          col[string]
		dLine                               col[int64]
		vID, vName, vTown                   col[string]
		hID, hVillage, hCategory            col[string]
		hMembers, hBaseline                 col[int64]
		eID, eName, eBranch, ePaired        col[string]
		lPlatform, lSKU, lListing           col[string]
		lFrom                               col[int64]
		dBatch, vBatch, hBatch, eBatch, lBt col[uint64]
		mlYear, mlLine, tMembers, tBaseline col[int64]
		tHousehold, tFrom                   col[string]
		mlBatch, tBatch                     col[uint64]
	)
	if district != nil {
		dID.add(district.ID)
		dName.add(district.Name)
		dLine.add(int64(district.MonitoringLineFen))
		dBatch.add(batch)
	}
	for _, k := range order {
		switch k := k.(type) {
		case domain.Village:
			v := villages[k.ID]
			vID.add(v.ID)
			vName.add(v.Name)
			vTown.add(v.Town)
			vBatch.add(batch)
		case domain.Household:
			h := households[k.ID]
			hID.add(h.ID)
			hVillage.add(h.VillageID)
			hMembers.add(h.Members)
			hBaseline.add(int64(h.BaselineIncomeFen))
			hCategory.add(h.Category)
			hBatch.add(batch)
		case domain.Enterprise:
			e := enterprises[k.ID]
			paired, err := json.Marshal(e.PairedVillages)
			if err != nil {
				return nil, err
			}
			if e.PairedVillages == nil {
				paired = []byte("[]")
			}
			eID.add(e.ID)
			eName.add(e.Name)
			eBranch.add(e.PartyBranch)
			ePaired.add(string(paired))
			eBatch.add(batch)
		case listingKey:
			l := listings[k]
			raw, err := json.Marshal(l)
			if err != nil {
				return nil, err
			}
			lPlatform.add(l.Platform)
			lSKU.add(l.SKUID)
			lFrom.add(k.effectiveFrom)
			lListing.add(string(raw))
			lBt.add(batch)
		case domain.MonitoringLine:
			mlYear.add(int64(k.Year))
			mlLine.add(int64(lines[k.Year]))
			mlBatch.add(batch)
		case [2]string:
			t := terms[k]
			tHousehold.add(t.HouseholdID)
			tFrom.add(t.From)
			tMembers.add(t.Members)
			tBaseline.add(int64(t.BaselineIncomeFen))
			tBatch.add(batch)
		}
	}
	return []*insert{
		{table: "district", columns: []string{"id", "name", "monitoring_line_fen", "batch"}, parts: []part{&dID, &dName, &dLine, &dBatch}},
		{table: "villages", columns: []string{"id", "name", "town", "batch"}, parts: []part{&vID, &vName, &vTown, &vBatch}},
		{table: "households", columns: []string{"id", "village_id", "members", "baseline_income_fen", "category", "batch"},
			parts: []part{&hID, &hVillage, &hMembers, &hBaseline, &hCategory, &hBatch}},
		{table: "enterprises", columns: []string{"id", "name", "party_branch", "paired_villages", "batch"},
			parts: []part{&eID, &eName, &eBranch, &ePaired, &eBatch}},
		{table: "listings", columns: []string{"platform", "sku_id", "effective_from", "listing", "batch"},
			parts: []part{&lPlatform, &lSKU, &lFrom, &lListing, &lBt}},
		{table: "monitoring_lines", columns: []string{"year", "monitoring_line_fen", "batch"}, parts: []part{&mlYear, &mlLine, &mlBatch}},
		{table: "household_terms", columns: []string{"household_id", "from_day", "members", "baseline_income_fen", "batch"},
			parts: []part{&tHousehold, &tFrom, &tMembers, &tBaseline, &tBatch}},
	}, nil
}

type listingKey struct {
	platform, sku string
	effectiveFrom int64
}

// LoadRegistry rebuilds the registry from the registry tables.
func (s *Store) LoadRegistry(ctx context.Context) (*domain.Registry, error) {
	c, err := s.lastCommitted(ctx)
	if err != nil {
		return nil, fmt.Errorf("read registry: %w", err)
	}
	return s.readRegistry(ctx, fmt.Sprintf("batch <= %d", c.batch))
}

// Registry rebuilds the registry as of the last committed batch: each key's
// row of the highest batch. The registry changes rarely, and every
// checkpoint names the last batch that changed it: while that batch and the
// last writer (a rebuild's tables number their batches afresh) are those
// of the registry read last, that one is answered again. The registry
// returned is shared: callers must not change it.
func (s *Store) Registry(ctx context.Context) (*domain.Registry, error) {
	c, err := s.lastCommitted(ctx)
	if err != nil {
		return nil, fmt.Errorf("read registry: %w", err)
	}
	key := fmt.Sprintf("%d/%s", c.registry, c.writer)
	s.registryMu.Lock()
	cached, at := s.registryCache, s.registryCacheKey
	s.registryMu.Unlock()
	if c.registry != 0 && at == key && cached != nil {
		return cached, nil
	}
	reg, err := s.readRegistry(ctx, fmt.Sprintf("batch <= %d", c.batch))
	if err != nil {
		return nil, err
	}
	if c.registry != 0 {
		s.registryMu.Lock()
		s.registryCache, s.registryCacheKey = reg, key
		s.registryMu.Unlock()
	}
	return reg, nil
}

// readRegistry reads the registry's tables up to the condition c.
func (s *Store) readRegistry(ctx context.Context, c string) (*domain.Registry, error) {
	reg := domain.NewRegistry()
	if err := s.query(ctx, `SELECT argMax(id, batch), argMax(name, batch), argMax(monitoring_line_fen, batch), count()
		FROM `+s.t("district")+` WHERE `+c, func(r driver.Rows) error {
		var d domain.District
		var line int64
		var n uint64
		if err := r.Scan(&d.ID, &d.Name, &line, &n); err != nil {
			return err
		}
		if n > 0 {
			d.MonitoringLineFen = domain.Fen(line)
			reg.District = d
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read district: %w", err)
	}
	if err := s.query(ctx, `SELECT id, argMax(name, batch), argMax(town, batch)
		FROM `+s.t("villages")+` WHERE `+c+` GROUP BY id`, func(r driver.Rows) error {
		var v domain.Village
		if err := r.Scan(&v.ID, &v.Name, &v.Town); err != nil {
			return err
		}
		reg.Villages[v.ID] = v
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read villages: %w", err)
	}
	if err := s.query(ctx, `SELECT id, argMax(village_id, batch), argMax(members, batch), argMax(baseline_income_fen, batch), argMax(category, batch)
		FROM `+s.t("households")+` WHERE `+c+` GROUP BY id`, func(r driver.Rows) error {
		var h domain.Household
		var baseline int64
		if err := r.Scan(&h.ID, &h.VillageID, &h.Members, &baseline, &h.Category); err != nil {
			return err
		}
		h.BaselineIncomeFen = domain.Fen(baseline)
		reg.Households[h.ID] = h
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read households: %w", err)
	}
	if err := s.query(ctx, `SELECT year, argMax(monitoring_line_fen, batch)
		FROM `+s.t("monitoring_lines")+` WHERE `+c+` GROUP BY year`, func(r driver.Rows) error {
		var year, line int64
		if err := r.Scan(&year, &line); err != nil {
			return err
		}
		reg.PutMonitoringLine(domain.MonitoringLine{Year: int(year), LineFen: domain.Fen(line)})
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read monitoring lines: %w", err)
	}
	if err := s.query(ctx, `SELECT household_id, from_day, argMax(members, batch), argMax(baseline_income_fen, batch)
		FROM `+s.t("household_terms")+` WHERE `+c+` GROUP BY household_id, from_day`, func(r driver.Rows) error {
		var t domain.HouseholdTerms
		var baseline int64
		if err := r.Scan(&t.HouseholdID, &t.From, &t.Members, &baseline); err != nil {
			return err
		}
		t.BaselineIncomeFen = domain.Fen(baseline)
		reg.PutHouseholdTerms(t)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read household terms: %w", err)
	}
	if err := s.query(ctx, `SELECT id, argMax(name, batch), argMax(party_branch, batch), argMax(paired_villages, batch)
		FROM `+s.t("enterprises")+` WHERE `+c+` GROUP BY id`, func(r driver.Rows) error {
		var e domain.Enterprise
		var paired string
		if err := r.Scan(&e.ID, &e.Name, &e.PartyBranch, &paired); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(paired), &e.PairedVillages); err != nil {
			return fmt.Errorf("enterprise %s paired villages: %w", e.ID, err)
		}
		reg.Enterprises[e.ID] = e
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read enterprises: %w", err)
	}
	if err := s.query(ctx, `SELECT argMax(listing, batch)
		FROM `+s.t("listings")+` WHERE `+c+` GROUP BY platform, sku_id, effective_from`, func(r driver.Rows) error {
		var raw string
		if err := r.Scan(&raw); err != nil {
			return err
		}
		var l domain.Listing
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			return fmt.Errorf("listing: %w", err)
		}
		reg.PutListing(l)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read listings: %w", err)
	}
	return reg, nil
}
