package sqlite_test

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestMigrationFromSchema1 opens read models written by the schema-1 build
// (testdata/schema1-*.db: the first half of a feed's events projected by
// commit 12beaf7, see testdata/README.md), which migrates them, and checks
// every API answer against a read model projected afresh: right after the
// migration against the same first half, and after the rest of the feed is
// projected into the migrated model against the whole feed.
func TestMigrationFromSchema1(t *testing.T) {
	ctx := context.Background()
	reg, events, err := samples.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	generated := storetest.Generate(11, 1500).Feed
	for _, c := range []struct {
		fixture string
		feed    storetest.Feed
		now     time.Time
	}{
		{"schema1-samples.db", storetest.Feed{Registry: reg, Events: events}, time.Date(2020, 5, 2, 12, 0, 0, 0, domain.ChinaTime)},
		{"schema1-generated.db", generated, time.Date(2021, 2, 1, 12, 0, 0, 0, domain.ChinaTime)},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			half := c.feed
			half.Events = c.feed.Events[:len(c.feed.Events)/2]
			path := copyFixture(t, c.fixture)
			if v := schemaVersion(t, path); v != 1 {
				t.Fatalf("fixture at schema version %d, want 1", v)
			}
			migrated, err := sqlite.Open(ctx, sqlite.Config{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			defer migrated.Close()
			if v := schemaVersion(t, path); v < 2 {
				t.Fatalf("migrated to schema version %d, want at least 2", v)
			}

			fresh := openFresh(t)
			half.Project(t, fresh, 200)
			storetest.CompareAnswers(t, storetest.Answers(t, &projections.Queries{Store: fresh, Now: func() time.Time { return c.now }}),
				storetest.Answers(t, &projections.Queries{Store: migrated, Now: func() time.Time { return c.now }}), "fresh", "migrated")

			c.feed.Project(t, migrated, 200) // the first half is skipped by position
			whole := openFresh(t)
			c.feed.Project(t, whole, 200)
			storetest.CompareAnswers(t, storetest.Answers(t, &projections.Queries{Store: whole, Now: func() time.Time { return c.now }}),
				storetest.Answers(t, &projections.Queries{Store: migrated, Now: func() time.Time { return c.now }}), "fresh", "migrated")
		})
	}
}

func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "readmodel.db")
	dst, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func schemaVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func openFresh(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
