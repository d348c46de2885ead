package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Prefixes of a rebuild's tables: the shadow's while it is built, and the
// replaced tables' between the swap and their drop.
const (
	shadowPrefix  = "rebuild_"
	retiredPrefix = "retired_"
)

// Shadow returns a store over a fresh, empty set of tables beside this
// store's (its prefix with "rebuild_" before it), for a rebuild: project the
// log into it, then SwapIn. Queries keep reading this store's tables until
// the swap. Tables of an earlier, unfinished rebuild are dropped first. The
// shadow has a connection of its own; close it after SwapIn.
func (s *Store) Shadow(ctx context.Context) (*Store, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	conn, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	cfg := s.cfg
	cfg.TablePrefix = shadowPrefix + s.livePrefix()
	sh := newStore(cfg, conn)
	sh.dial = s.dial
	sh.shadow, sh.live = true, s.livePrefix()
	for _, t := range tables {
		if err := sh.exec(ctx, "DROP TABLE IF EXISTS "+sh.t(t)); err != nil {
			sh.Close()
			return nil, fmt.Errorf("drop the tables of an earlier rebuild: %w", err)
		}
	}
	if sh.applied, err = sh.migrate(ctx); err != nil {
		sh.Close()
		return nil, fmt.Errorf("create the rebuild's tables: %w", err)
	}
	return sh, nil
}

func (s *Store) livePrefix() string {
	s.namesMu.RLock()
	defer s.namesMu.RUnlock()
	return s.prefix
}

// SwapIn puts a shadow's tables in the place of the live ones, in one
// RENAME TABLE statement (live tables to "retired_…", the shadow's to the
// live names), then drops the retired tables. From then on the shadow
// store, and any store opened on the live names, reads and writes the
// rebuilt tables; a projector still committing to the old tables through
// another Store gets ErrForeignWriter. Commits to the shadow must have
// stopped.
func (s *Store) SwapIn(ctx context.Context) error {
	if err := s.open(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if !s.shadow || s.livePrefix() != shadowPrefix+s.live {
		return fmt.Errorf("swap in: tables %q are not a shadow's (see Shadow)", s.livePrefix())
	}
	db := s.cfg.Database
	existing := map[string]bool{}
	if err := s.query(ctx, `SELECT name FROM system.tables WHERE database = `+lit(db), func(r driver.Rows) error {
		var name string
		if err := r.Scan(&name); err != nil {
			return err
		}
		existing[name] = true
		return nil
	}); err != nil {
		return fmt.Errorf("swap in: list tables: %w", err)
	}
	name := func(prefix, t string) string { return quoteIdent(db) + "." + quoteIdent(prefix+t) }
	// ClickHouse renames the tables one after the other, and a reader may
	// run between two renames. The live checkpoints go first and the
	// rebuild's come in last: a reader that finds the checkpoints of the
	// same writer after its reads as before them read no renamed table,
	// and one that finds none or another's reads again (SnapshotHeld).
	var renames []string
	var installCheckpoints string
	for _, t := range tables {
		if !existing[s.livePrefix()+t] {
			return fmt.Errorf("swap in: the rebuild's table %s is missing", s.livePrefix()+t)
		}
		if existing[retiredPrefix+s.live+t] {
			if err := s.exec(ctx, "DROP TABLE IF EXISTS "+name(retiredPrefix+s.live, t)); err != nil {
				return fmt.Errorf("swap in: drop an earlier swap's table: %w", err)
			}
		}
		retire, install := "", name(s.livePrefix(), t)+" TO "+name(s.live, t)
		if existing[s.live+t] {
			retire = name(s.live, t) + " TO " + name(retiredPrefix+s.live, t)
		}
		switch {
		case t == "checkpoints":
			if retire != "" {
				renames = slices.Insert(renames, 0, retire)
			}
			installCheckpoints = install
		case retire != "":
			renames = append(renames, retire, install)
		default:
			renames = append(renames, install)
		}
	}
	renames = append(renames, installCheckpoints)
	if err := s.exec(ctx, "RENAME TABLE "+strings.Join(renames, ", ")); err != nil {
		return fmt.Errorf("swap in: %w", err)
	}
	s.setNames(s.live)
	for _, t := range tables {
		if existing[s.live+t] {
			if err := s.exec(ctx, "DROP TABLE IF EXISTS "+name(retiredPrefix+s.live, t)); err != nil {
				return fmt.Errorf("swap in: done, but dropping the replaced table %s failed: %w", retiredPrefix+s.live+t, err)
			}
		}
	}
	return nil
}
