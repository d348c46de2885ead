package projections

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/loquat-dev/loquat/domain"
)

// StoredLine is a line state as the stores keep it (their lines tables):
// the listing that attributes the line is a reference, by content hash, into
// their listing_snapshots, since thousands of lines share one listing and a
// listing lists its households.
type StoredLine struct {
	Payment *domain.LinePayment `json:"p,omitempty"`
	Refunds []domain.LineRefund `json:"r,omitempty"`
	Listing string              `json:"l,omitempty"`
	// Corrections are the line's corrections (rare: encoded reflectively).
	Corrections []domain.LineCorrection `json:"c,omitempty"`
}

// ListingSnapshots caches listing snapshots by content hash, both ways, and
// which of them a store holds. Safe for concurrent use.
type ListingSnapshots struct {
	mu     sync.Mutex
	byHash map[string]*domain.Listing
	raw    map[string]string
	stored map[string]bool // hashes known to be in the store
	// byKey remembers the last hash of each listing version, so that the
	// hash of an unchanged listing is not recomputed for every line.
	byKey map[string]keyedHash
}

type keyedHash struct {
	listing domain.Listing
	hash    string
}

// NewListingSnapshots returns an empty cache.
func NewListingSnapshots() *ListingSnapshots {
	return &ListingSnapshots{byHash: map[string]*domain.Listing{}, raw: map[string]string{},
		stored: map[string]bool{}, byKey: map[string]keyedHash{}}
}

// HashOf returns a listing's content hash and JSON, remembering both.
func (c *ListingSnapshots) HashOf(l *domain.Listing) (hash, raw string) {
	key := l.Key()
	c.mu.Lock()
	k, ok := c.byKey[key]
	if ok && k.listing.Equal(l) {
		raw = c.raw[k.hash]
		c.mu.Unlock()
		return k.hash, raw
	}
	c.mu.Unlock()
	b, _ := json.Marshal(l) // a Listing always marshals
	sum := sha256.Sum256(b)
	hash, raw = hex.EncodeToString(sum[:12]), string(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey[key] = keyedHash{listing: *l, hash: hash}
	if _, ok := c.byHash[hash]; !ok {
		cp := *l
		c.byHash[hash], c.raw[hash] = &cp, raw
	}
	return hash, raw
}

// Get returns the listing of a hash and its JSON, if cached.
func (c *ListingSnapshots) Get(hash string) (*domain.Listing, string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.byHash[hash]
	return l, c.raw[hash], ok
}

// Put caches a snapshot read from the store (so it is stored).
func (c *ListingSnapshots) Put(hash, raw string) (*domain.Listing, error) {
	l := &domain.Listing{}
	if err := json.Unmarshal([]byte(raw), l); err != nil {
		return nil, fmt.Errorf("listing snapshot %s: %w", hash, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byHash[hash], c.raw[hash], c.stored[hash] = l, raw, true
	return l, nil
}

// IsStored reports whether the store is known to hold the snapshot.
func (c *ListingSnapshots) IsStored(hash string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stored[hash]
}

// MarkStored records snapshots a committed write stored.
func (c *ListingSnapshots) MarkStored(hashes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hashes {
		c.stored[h] = true
	}
}
