package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
)

// CorrectionRecord is an applied correction as the stores keep it: the
// event, what it changed from and to, and by how much, so a statement can
// show it beside the figures it moved.
type CorrectionRecord struct {
	ID string `json:"id"`
	domain.CorrectionRecorded
	// TargetKey is Target.String(): "line:…", "income:…" or "conflict:…".
	TargetKey string `json:"target_key"`
	// HouseholdIDs are the households whose figures it moved (a line's
	// listing's households, an income record's household).
	HouseholdIDs []string `json:"household_ids,omitempty"`
	// Before and After are what counted before and after, JSON: a
	// domain.LinePayment or a domain.IncomeRecorded, null when nothing
	// counted (voided). Conflict is the resolved conflict.
	Before   json.RawMessage  `json:"before"`
	After    json.RawMessage  `json:"after"`
	Conflict *domain.Conflict `json:"conflict,omitempty"`
	// DeltaFen is the change of the target's net money: net sales of a
	// line, the amount of an income record.
	DeltaFen domain.Fen `json:"delta_fen"`
}

// CorrectionFilter selects corrections; empty fields do not filter.
type CorrectionFilter struct {
	// Targets are target keys (CorrectionTarget.String()).
	Targets     []string
	HouseholdID string
	// IDs are correction event ids.
	IDs []string
}

// Targets are the keys a correction is found by: its target's, and for an
// accepted conflict the line's or income record's whose figures it moved.
func (c *CorrectionRecord) Targets() []string {
	out := []string{c.TargetKey}
	if k := c.Conflict; k != nil && c.Action == domain.CorrectAcceptConflict {
		switch k.Kind {
		case domain.ConflictIncome:
			out = append(out, "income:"+k.Kept.EventID)
		case domain.ConflictPayment:
			if l, ok := conflictLine(*k); ok {
				out = append(out, domain.LineTarget(l))
			}
		}
	}
	return out
}

// Match reports whether the filter selects the record. Stores list every
// correction and filter with Match: corrections are made by hand, a few
// hundred in a year, not millions.
func (f CorrectionFilter) Match(c *CorrectionRecord) bool {
	if len(f.Targets) > 0 && !slices.ContainsFunc(c.Targets(), func(t string) bool { return slices.Contains(f.Targets, t) }) {
		return false
	}
	if f.HouseholdID != "" && !slices.Contains(c.HouseholdIDs, f.HouseholdID) {
		return false
	}
	if len(f.IDs) > 0 && !slices.Contains(f.IDs, c.ID) {
		return false
	}
	return true
}

// SortCorrections orders records by (At, ID), as Reader.Corrections lists them.
func SortCorrections(cs []CorrectionRecord) {
	slices.SortStableFunc(cs, func(a, b CorrectionRecord) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// correctionStore is what the projector needs of a store to apply
// corrections: the corrections applied so far and the conflicts.
type correctionStore interface {
	Corrections(ctx context.Context, f CorrectionFilter) ([]CorrectionRecord, error)
	Conflicts(ctx context.Context, limit, offset int) ([]domain.Conflict, int, error)
}

// correctionWork is what a batch's corrections need, read before the
// batch is applied.
type correctionWork struct {
	// prior are the applied corrections of the batch's targets and ids,
	// stored or in a batch not yet committed, in (At, ID) order.
	prior     []CorrectionRecord
	conflicts map[string]domain.Conflict
	known     map[string]domain.IncomeRecorded
	refs      []OrderRef // orders of corrected lines
	dead      []domain.DeadLetter
}

// loadCorrections reads what the batch's corrections need.
func (p *Projector) loadCorrections(ctx context.Context, events []decoded, base *prepared) (*correctionWork, error) {
	cw := &correctionWork{conflicts: map[string]domain.Conflict{}, known: map[string]domain.IncomeRecorded{}}
	var targets, ids []string
	needConflicts := false
	for _, d := range events {
		e, ok := d.event.(*domain.CorrectionRecorded)
		if !ok {
			continue
		}
		targets = append(targets, e.Target.String())
		ids = append(ids, e.ID())
		if l := e.Target.Line; l != nil {
			cw.refs = append(cw.refs, OrderRef{l.Platform, l.OrderID})
		}
		needConflicts = needConflicts || e.Target.ConflictID != ""
	}
	if len(targets) == 0 {
		return cw, nil
	}
	cs, ok := p.store.(correctionStore)
	if !ok {
		return nil, errors.New("the store keeps no corrections")
	}
	var err error
	if cw.prior, err = cs.Corrections(ctx, CorrectionFilter{Targets: targets}); err != nil {
		return nil, fmt.Errorf("load corrections: %w", err)
	}
	if more, err := cs.Corrections(ctx, CorrectionFilter{IDs: ids}); err != nil {
		return nil, fmt.Errorf("load corrections: %w", err)
	} else {
		cw.prior = append(cw.prior, more...)
	}
	if base != nil {
		cw.prior = append(cw.prior, base.corrections...)
	}
	if needConflicts {
		all, _, err := cs.Conflicts(ctx, -1, 0)
		if err != nil {
			return nil, fmt.Errorf("load conflicts: %w", err)
		}
		for _, c := range all {
			cw.conflicts[c.ID] = c
		}
		if base != nil && base.batch != nil {
			for _, c := range base.batch.Conflicts {
				cw.conflicts[c.ID] = c
			}
		}
	}
	var incomeIDs []string
	for _, d := range events {
		e, ok := d.event.(*domain.CorrectionRecorded)
		if !ok {
			continue
		}
		if e.Target.IncomeID != "" {
			incomeIDs = append(incomeIDs, e.Target.IncomeID)
		}
		if c, ok := cw.conflicts[e.Target.ConflictID]; ok {
			switch c.Kind {
			case domain.ConflictIncome:
				incomeIDs = append(incomeIDs, c.Kept.EventID)
			case domain.ConflictPayment:
				if k, ok := conflictLine(c); ok {
					cw.refs = append(cw.refs, OrderRef{k.Platform, k.OrderID})
				}
			}
		}
	}
	if len(incomeIDs) > 0 {
		if cw.known, err = p.store.KnownIncome(ctx, incomeIDs); err != nil {
			return nil, fmt.Errorf("look up corrected income: %w", err)
		}
	}
	if base != nil {
		for id, in := range base.income {
			cw.known[id] = in
		}
	}
	return cw, nil
}

// applied reports whether the correction id was applied before.
func (cw *correctionWork) applied(id string) bool {
	return slices.ContainsFunc(cw.prior, func(c CorrectionRecord) bool { return c.ID == id })
}

// last returns the last applied correction of a target.
func (cw *correctionWork) last(target string) (CorrectionRecord, bool) {
	for i := len(cw.prior) - 1; i >= 0; i-- {
		if slices.Contains(cw.prior[i].Targets(), target) {
			return cw.prior[i], true
		}
	}
	return CorrectionRecord{}, false
}

// conflictLine is the line of a payment or refund conflict.
func conflictLine(c domain.Conflict) (domain.LineKey, bool) {
	parts := strings.SplitN(c.Key, "/", 3)
	if len(parts) != 3 || (c.Kind != domain.ConflictPayment && c.Kind != domain.ConflictRefund) {
		return domain.LineKey{}, false
	}
	return domain.LineKey{Platform: parts[0], OrderID: parts[1], LineID: parts[2]}, true
}

// applyCorrection applies one correction to the batch; a correction that
// cannot apply (its target unknown, a conflict already resolved) returns
// the reason, and becomes a dead letter.
func (p *Projector) applyCorrection(cw *correctionWork, e *domain.CorrectionRecorded, orders map[OrderRef]*orderWork, income map[string]domain.IncomeRecorded, reg *domain.Registry, b *Batch, touch func(*lineWork, bool)) string {
	id := e.ID()
	if cw.applied(id) {
		return "" // redelivered
	}
	rec := CorrectionRecord{ID: id, CorrectionRecorded: *e, TargetKey: e.Target.String()}
	var reason string
	switch {
	case e.Target.Line != nil:
		reason = p.correctLine(&rec, *e.Target.Line, domain.LineCorrection{ID: id, Action: e.Action, At: e.At, AmountFen: e.AmountFen}, orders, touch)
	case e.Target.IncomeID != "":
		reason = p.correctIncome(cw, &rec, e.Target.IncomeID, nil, income, b)
	case e.Target.ConflictID != "":
		c, ok := cw.conflicts[e.Target.ConflictID]
		if !ok {
			// Found earlier in this batch, not stored yet.
			i := slices.IndexFunc(b.Conflicts, func(c domain.Conflict) bool { return c.ID == e.Target.ConflictID })
			if ok = i >= 0; ok {
				c = b.Conflicts[i]
			}
		}
		if !ok {
			return fmt.Sprintf("correction %s: no conflict %s", id, e.Target.ConflictID)
		}
		if prev, ok := cw.last(rec.TargetKey); ok {
			return fmt.Sprintf("correction %s: conflict %s was resolved by %s (%s) at %s", id, c.ID, prev.Operator, prev.Action, prev.At.In(domain.ChinaTime).Format(time.RFC3339))
		}
		rec.Conflict = &c
		if e.Action == domain.CorrectKeepConflict {
			break
		}
		reason = p.acceptConflict(cw, &rec, c, orders, income, reg, b, touch)
	}
	if reason != "" {
		return fmt.Sprintf("correction %s of %s: %s", id, rec.TargetKey, reason)
	}
	if rec.Before == nil {
		rec.Before = json.RawMessage("null")
	}
	if rec.After == nil {
		rec.After = json.RawMessage("null")
	}
	cw.prior = append(cw.prior, rec)
	b.Corrections = append(b.Corrections, rec)
	return ""
}

// acceptConflict makes a conflict's rejected version count.
func (p *Projector) acceptConflict(cw *correctionWork, rec *CorrectionRecord, c domain.Conflict, orders map[OrderRef]*orderWork, income map[string]domain.IncomeRecorded, reg *domain.Registry, b *Batch, touch func(*lineWork, bool)) string {
	switch c.Kind {
	case domain.ConflictPayment:
		k, ok := conflictLine(c)
		if !ok {
			return "conflict key " + c.Key + " names no line"
		}
		var pay domain.LinePayment
		if err := json.Unmarshal(c.Rejected.Fact, &pay); err != nil {
			return "rejected payment: " + err.Error()
		}
		listing := reg.ListingAt(k.Platform, pay.SKUID, pay.CreatedAt)
		return p.correctLine(rec, k, domain.LineCorrection{ID: rec.ID, Action: domain.CorrectAcceptConflict, At: rec.At, Payment: &pay, Listing: listing}, orders, touch)
	case domain.ConflictIncome:
		var in domain.IncomeRecorded
		if err := json.Unmarshal(c.Rejected.Fact, &in); err != nil {
			return "rejected income: " + err.Error()
		}
		// The income record's own corrections follow the accepted version.
		return p.correctIncome(cw, rec, c.Kept.EventID, &in, income, b)
	}
	return fmt.Sprintf("accepting a %s conflict is not supported: keep it, and void or amend the line", c.Kind)
}

// correctLine applies a correction to an order line.
func (p *Projector) correctLine(rec *CorrectionRecord, k domain.LineKey, lc domain.LineCorrection, orders map[OrderRef]*orderWork, touch func(*lineWork, bool)) string {
	o := orders[OrderRef{k.Platform, k.OrderID}]
	var w *lineWork
	if o != nil {
		w = o.find(k.LineID)
	}
	if w == nil || w.state.Payment == nil {
		return "no paid line " + k.Platform + "/" + k.OrderID + "/" + k.LineID
	}
	beforePay, beforeListing, _ := w.state.Effective()
	if beforePay == nil && lc.Action == domain.CorrectVoid {
		return "the line is already void"
	}
	before := net(&w.state)
	changed, err := w.state.ApplyCorrection(lc)
	if err != nil {
		return err.Error()
	}
	touch(w, changed)
	afterPay, afterListing, _ := w.state.Effective()
	rec.Before, rec.After = marshalOrNull(beforePay), marshalOrNull(afterPay)
	rec.DeltaFen = net(&w.state) - before
	rec.HouseholdIDs = householdsOf(beforeListing, afterListing)
	return ""
}

// net is a line's net money: its entries' sum.
func net(st *domain.LineState) domain.Fen {
	var n domain.Fen
	for _, e := range st.Entries() {
		n += e.AmountFen
	}
	return n
}

// correctIncome applies a correction to an income record: the record as it
// counts is taken out by a row of the opposite amount and what counts
// after is added as a row of its own, both under the correction's id. The
// imported record stays as it was, so importing it again is a duplicate.
func (p *Projector) correctIncome(cw *correctionWork, rec *CorrectionRecord, incomeID string, accepted *domain.IncomeRecorded, income map[string]domain.IncomeRecorded, b *Batch) string {
	var current *domain.IncomeRecorded
	if prev, ok := cw.last("income:" + incomeID); ok {
		if string(prev.After) != "null" {
			current = new(domain.IncomeRecorded)
			if err := json.Unmarshal(prev.After, current); err != nil {
				return "the last correction's record: " + err.Error()
			}
		}
	} else if in, ok := income[incomeID]; ok {
		current = &in
	} else if in, ok := cw.known[incomeID]; ok {
		current = &in
	} else {
		return "no income record " + incomeID
	}
	after, err := domain.CorrectIncome(current, &rec.CorrectionRecorded, accepted)
	if err != nil {
		return err.Error()
	}
	var households []string
	if current != nil {
		out := *current
		out.AmountFen = -current.AmountFen
		b.Income = append(b.Income, IncomeRecord{EventID: rec.ID + "/retract", IncomeRecorded: out})
		rec.DeltaFen -= current.AmountFen
		households = append(households, current.HouseholdID)
	}
	if after != nil {
		b.Income = append(b.Income, IncomeRecord{EventID: rec.ID + "/add", IncomeRecorded: *after})
		rec.DeltaFen += after.AmountFen
		if !slices.Contains(households, after.HouseholdID) {
			households = append(households, after.HouseholdID)
		}
	}
	rec.Before, rec.After = marshalOrNull(current), marshalOrNull(after)
	rec.HouseholdIDs = households
	return ""
}

func householdsOf(ls ...*domain.Listing) []string {
	var out []string
	for _, l := range ls {
		if l == nil {
			continue
		}
		for _, h := range l.Households {
			if !slices.Contains(out, h.ID) {
				out = append(out, h.ID)
			}
		}
	}
	return out
}

func marshalOrNull[T any](v *T) json.RawMessage {
	if v == nil {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// correctionDeadLetter records a correction that could not apply.
func correctionDeadLetter(e *domain.CorrectionRecorded, pos eventlog.Position, reason string) domain.DeadLetter {
	raw, _ := domain.MarshalEvent(e)
	return domain.NewDeadLetter("projector", fmt.Sprintf("log %d/%d: %s", pos.Partition, pos.Offset, reason), raw, time.Now())
}
