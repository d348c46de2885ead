package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/loquat-dev/loquat/domain"
)

// storedLine is a line state as the lines table keeps it: the listing that
// attributes the line is a reference into listing_snapshots, since thousands
// of lines share one listing and a listing lists its households.
type storedLine struct {
	Payment *domain.LinePayment `json:"p,omitempty"`
	Refunds []domain.LineRefund `json:"r,omitempty"`
	Listing string              `json:"l,omitempty"`
}

// snapshots caches listing snapshots by hash, both ways. Safe for concurrent use.
type snapshots struct {
	mu     sync.Mutex
	byHash map[string]*domain.Listing
	stored map[string]bool // hashes known to be in listing_snapshots
	// byKey remembers the last hash of each listing version, so the hash of
	// an unchanged listing is not recomputed for every line.
	byKey map[string]keyedHash
}

type keyedHash struct {
	listing domain.Listing
	hash    string
	raw     []byte
}

func newSnapshots() *snapshots {
	return &snapshots{byHash: map[string]*domain.Listing{}, stored: map[string]bool{}, byKey: map[string]keyedHash{}}
}

// hashOf returns a listing's content hash and JSON.
func (s *snapshots) hashOf(l *domain.Listing) (string, []byte) {
	key := l.Key()
	s.mu.Lock()
	k, ok := s.byKey[key]
	s.mu.Unlock()
	if ok && k.listing.Equal(l) {
		return k.hash, k.raw
	}
	hash, raw := listingHash(l)
	s.mu.Lock()
	s.byKey[key] = keyedHash{listing: *l, hash: hash, raw: raw}
	if _, ok := s.byHash[hash]; !ok {
		cp := *l
		s.byHash[hash] = &cp
	}
	s.mu.Unlock()
	return hash, raw
}

func listingHash(l *domain.Listing) (string, []byte) {
	raw, _ := json.Marshal(l) // a Listing always marshals
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:12]), raw
}

// encode turns a line state into its stored form, writing its listing
// snapshot first if it is not known to be stored. It returns the snapshot's
// hash ("" for none), to be marked stored once the transaction commits.
func (s *snapshots) encode(ctx context.Context, tx *sql.Tx, st *domain.LineState) ([]byte, string, error) {
	stored := storedLine{Payment: st.Payment, Refunds: st.Refunds}
	if st.Listing != nil {
		hash, raw := s.hashOf(st.Listing)
		s.mu.Lock()
		known := s.stored[hash]
		s.mu.Unlock()
		if !known {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO listing_snapshots (hash, listing) VALUES (?, ?)`, hash, string(raw)); err != nil {
				return nil, "", fmt.Errorf("store listing snapshot: %w", err)
			}
		}
		stored.Listing = hash
	}
	b, err := json.Marshal(stored)
	return b, stored.Listing, err
}

// markStored records hashes written by a committed transaction.
func (s *snapshots) markStored(hashes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hashes {
		s.stored[h] = true
	}
}

// decode turns a stored line back into a state, resolving its listing.
func (s *snapshots) decode(ctx context.Context, db *sql.DB, key domain.LineKey, raw []byte) (domain.LineState, error) {
	var stored storedLine
	if err := json.Unmarshal(raw, &stored); err != nil {
		return domain.LineState{}, fmt.Errorf("line %v: %w", key, err)
	}
	st := domain.LineState{Key: key, Payment: stored.Payment, Refunds: stored.Refunds}
	if stored.Listing == "" {
		return st, nil
	}
	s.mu.Lock()
	l, ok := s.byHash[stored.Listing]
	s.mu.Unlock()
	if !ok {
		var text string
		if err := db.QueryRowContext(ctx, `SELECT listing FROM listing_snapshots WHERE hash = ?`, stored.Listing).Scan(&text); err != nil {
			return st, fmt.Errorf("line %v: listing snapshot %s: %w", key, stored.Listing, err)
		}
		l = &domain.Listing{}
		if err := json.Unmarshal([]byte(text), l); err != nil {
			return st, fmt.Errorf("listing snapshot %s: %w", stored.Listing, err)
		}
		s.mu.Lock()
		s.byHash[stored.Listing] = l
		s.stored[stored.Listing] = true
		s.mu.Unlock()
	}
	cp := *l
	st.Listing = &cp
	return st, nil
}
