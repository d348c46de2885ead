package console

import (
	"context"

	"github.com/loquat-dev/loquat/domain"
)

// names resolves registry ids to the names people know them by; an id
// without a registry entry is shown as it is.
type names struct{ reg *domain.Registry }

func (c *console) names(ctx context.Context) (names, error) {
	reg, err := c.q.Store.Registry(ctx)
	if err != nil {
		return names{}, err
	}
	return names{reg: reg}, nil
}

// Village names a village.
func (n names) Village(id string) string {
	if v, ok := n.reg.Villages[id]; ok && v.Name != "" {
		return v.Name
	}
	return id
}

// Enterprise names an enterprise.
func (n names) Enterprise(id string) string {
	if e, ok := n.reg.Enterprises[id]; ok && e.Name != "" {
		return e.Name
	}
	return id
}
