// Package registry loads a registry file (villages, households, enterprises,
// listings; see samples/registry.json) into the event log as registry events.
package registry

import (
	"context"
	"fmt"
	"os"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
)

// Summary counts what a load appended.
type Summary struct {
	Villages, Households, Enterprises, Listings int
}

// Load validates the whole file first (nothing is appended if any part is
// wrong: a registry is loaded whole) and appends its events in one call.
// Loading the same file again appends events with the same ids, which the
// projector applies idempotently.
func Load(ctx context.Context, data []byte, sink ingest.Sink) (Summary, error) {
	f, err := domain.ParseRegistryFile(data)
	if err != nil {
		return Summary{}, err
	}
	return Append(ctx, f, sink)
}

// Append appends an already parsed registry.
func Append(ctx context.Context, f *domain.RegistryFile, sink ingest.Sink) (Summary, error) {
	if err := f.Validate(); err != nil {
		return Summary{}, err
	}
	if err := sink.Append(ctx, f.Events()...); err != nil {
		return Summary{}, fmt.Errorf("append registry: %w", err)
	}
	return Summary{Villages: len(f.Villages), Households: len(f.Households), Enterprises: len(f.Enterprises), Listings: len(f.Listings)}, nil
}

// LoadFile reads and loads a registry file.
func LoadFile(ctx context.Context, path string, sink ingest.Sink) (Summary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Summary{}, fmt.Errorf("read registry file: %w", err)
	}
	s, err := Load(ctx, data, sink)
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
