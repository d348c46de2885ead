package clickhouse

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// OpenWith is Open over connections made by dial (and Shadow's too): the
// tests run the store's SQL on chDB through it.
func OpenWith(ctx context.Context, cfg Config, dial func(context.Context) (driver.Conn, error)) (*Store, error) {
	return openWith(ctx, cfg, dial)
}
