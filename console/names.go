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

// livestreamNames names livestreams by their anchors (the figures name
// them by platform:room only).
type livestreamNames map[string]string

func (c *console) livestreamNames(ctx context.Context) (livestreamNames, error) {
	infos, err := c.q.Store.Livestreams(ctx)
	if err != nil {
		return nil, err
	}
	out := make(livestreamNames, len(infos))
	for _, in := range infos {
		if in.AnchorName != "" {
			out[in.ID] = in.AnchorName
		}
	}
	return out, nil
}

// Name names a livestream by its anchor, or by its id when none is known.
func (n livestreamNames) Name(id string) string {
	if a, ok := n[id]; ok {
		return a
	}
	return id
}
