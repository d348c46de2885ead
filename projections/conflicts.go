package projections

import (
	"context"

	"github.com/loquat-dev/loquat/domain"
)

// Conflicts lists the rejected versions of facts (see domain.Conflict),
// newest first, with the version that counts beside each.
func (q *Queries) Conflicts(ctx context.Context, pg Paging) (Page[domain.Conflict], error) {
	return answer(ctx, q, func(ctx context.Context) (Page[domain.Conflict], error) {
		items, total, err := q.Store.Conflicts(ctx, pg.Limit, pg.Offset)
		if err != nil {
			return Page[domain.Conflict]{}, err
		}
		if items == nil {
			items = []domain.Conflict{}
		}
		return Page[domain.Conflict]{Items: items, Total: total}, nil
	})
}
