//go:build !chdb

package clickhouse_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/projections/clickhouse"
)

// TestOnCurrentClickHouse needs libchdb.so, which chdb-go loads when the
// test binary starts (a binary built with it panics without it), so it is
// built with -tags chdb only: scripts/test.sh installs the library and
// passes the tag, and fails on a skip.
func TestOnCurrentClickHouse(t *testing.T) {
	t.Skip("built without -tags chdb: the store on ClickHouse 26.7 (chDB) is not tested; " +
		`eval "$(scripts/chdb.sh install)" and go test -tags chdb (scripts/test.sh does)`)
}

func chdbRunning() bool { return false }

func chdbAdminConn() driver.Conn { panic("chdb: built without -tags chdb") }

func openOnChDB(context.Context, clickhouse.Config) (*clickhouse.Store, error) {
	return nil, errors.New("chdb: built without -tags chdb")
}
