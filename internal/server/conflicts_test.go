package server_test

import (
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
)

// checkNoConflicts asserts that the node lists no conflict: repeated
// deliveries (a push sent twice, an order polled again in a later state)
// are duplicates, never conflicts.
func checkNoConflicts(t *testing.T, url string) {
	t.Helper()
	var page projections.Page[domain.Conflict]
	samples.GetJSON(t, url, "/api/v1/conflicts", &page)
	if page.Total != 0 || len(page.Items) != 0 {
		t.Errorf("%d conflicts from repeated deliveries of unchanged facts: %+v", page.Total, page.Items)
	}
}
