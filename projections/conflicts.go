package projections

import (
	"context"

	"github.com/loquat-dev/loquat/domain"
)

// Conflicts lists the rejected versions of facts (see domain.Conflict),
// newest first, with the version that counts beside each and, once an
// operator resolved one, the correction that did.
func (q *Queries) Conflicts(ctx context.Context, pg Paging) (Page[domain.Conflict], error) {
	return answer(ctx, q, func(ctx context.Context) (Page[domain.Conflict], error) {
		items, total, err := q.Store.Conflicts(ctx, pg.Limit, pg.Offset)
		if err != nil {
			return Page[domain.Conflict]{}, err
		}
		if items == nil {
			items = []domain.Conflict{}
		}
		if err := q.resolve(ctx, items); err != nil {
			return Page[domain.Conflict]{}, err
		}
		return Page[domain.Conflict]{Items: items, Total: total}, nil
	})
}

// resolve fills in the conflicts' resolutions.
func (q *Queries) resolve(ctx context.Context, items []domain.Conflict) error {
	if len(items) == 0 {
		return nil
	}
	targets := make([]string, len(items))
	for i, c := range items {
		targets[i] = domain.CorrectionTarget{ConflictID: c.ID}.String()
	}
	cs, err := q.Store.Corrections(ctx, CorrectionFilter{Targets: targets})
	if err != nil {
		return err
	}
	by := map[string]CorrectionRecord{}
	for _, c := range cs {
		if c.Target.ConflictID != "" {
			if _, ok := by[c.Target.ConflictID]; !ok { // the first resolves it
				by[c.Target.ConflictID] = c
			}
		}
	}
	for i := range items {
		if c, ok := by[items[i].ID]; ok {
			items[i].Resolution = &domain.ConflictResolution{CorrectionID: c.ID, Action: c.Action,
				ResolvedBy: c.Operator, ResolvedAt: c.At.In(domain.ChinaTime), Reason: c.Reason}
		}
	}
	return nil
}

// Corrections lists the applied corrections the filter selects, in the
// order they were made.
func (q *Queries) Corrections(ctx context.Context, f CorrectionFilter) ([]CorrectionRecord, error) {
	return answer(ctx, q, func(ctx context.Context) ([]CorrectionRecord, error) {
		cs, err := q.Store.Corrections(ctx, f)
		if cs == nil {
			cs = []CorrectionRecord{}
		}
		return cs, err
	})
}
