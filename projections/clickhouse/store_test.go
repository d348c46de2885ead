package clickhouse_test

import (
	"testing"

	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/storetest"
)

func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) projections.Store {
		s, _ := openStore(t)
		return s
	})
}
