package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string // "" valid
	}{
		{"defaults", Config{Path: "x.db"}, ""},
		{"no path", Config{}, "Path is empty"},
		{"negative read cache", Config{Path: "x.db", ReadCacheKiB: -1}, "must not be negative"},
		{"negative write cache", Config{Path: "x.db", WriteCacheKiB: -1}, "must not be negative"},
		{"negative connections", Config{Path: "x.db", ReadConns: -2}, "must not be negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Errorf("Validate() = %v, want %q", err, c.want)
			}
		})
	}
}

// TestPageCacheSizes checks each connection gets the page cache configured
// (and the defaults without one).
func TestPageCacheSizes(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		cfg            Config
		write, readKiB int
	}{
		{Config{}, 64 << 10, 16 << 10},
		{Config{WriteCacheKiB: 3000, ReadCacheKiB: 1234}, 3000, 1234},
	} {
		c.cfg.Path = filepath.Join(t.TempDir(), "readmodel.db")
		s, err := Open(ctx, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		var write, read int
		if err := s.write.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&write); err != nil {
			t.Fatal(err)
		}
		if err := s.read.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&read); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if write != -c.write || read != -c.readKiB {
			t.Errorf("%+v: cache_size write %d read %d, want %d and %d", c.cfg, write, read, -c.write, -c.readKiB)
		}
	}
}
