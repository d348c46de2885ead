// Package registry loads a registry file (district, villages, households,
// enterprises, listings; see README.md for the format, field by field) into
// the event log as registry events.
//
// A file is an upsert onto the registry already in the log: it is checked
// against that registry merged with the file, and only its new and changed
// records are appended. With Options.Replace the file is the whole
// registry instead: it must be complete on its own and hold everything the
// log holds. A file is loaded whole or not at all.
package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest"
)

// Options says how a file is loaded.
type Options struct {
	// Replace loads the file as the whole registry: it is validated on its
	// own (every reference resolved within it, the district defined), and
	// it is refused, naming each, if the log holds a village, household,
	// enterprise or listing version it lacks — an append-only log cannot
	// forget them, and past sales stay attributed to them. Default false:
	// the file adds to and changes the registry in the log.
	Replace bool
}

// Summary says what a load found and appended.
type Summary struct {
	// Records in the file, by kind.
	Villages, Households, Enterprises, Listings int
	// New, Changed and Unchanged count the file's records (the district
	// included) against the registry in the log.
	New, Changed, Unchanged int
	// Appended is the number of events appended: the new and changed records.
	Appended int
}

// Load validates a file as a whole registry and appends all of it: a load
// onto an empty registry.
func Load(ctx context.Context, data []byte, sink ingest.Sink) (Summary, error) {
	return LoadOnto(ctx, data, nil, sink, Options{})
}

// LoadOnto validates data against current, the registry in the log (nil:
// none; see eventlog.ReadRegistry), and appends the file's new and changed
// records in one call. Every problem is reported at once, each naming its
// record; nothing is appended if there is any.
func LoadOnto(ctx context.Context, data []byte, current *domain.Registry, sink ingest.Sink, opts Options) (Summary, error) {
	if current == nil {
		current = domain.NewRegistry()
	}
	base := current
	if opts.Replace {
		base = nil // complete on its own
	}
	f, err := domain.ParseRegistryFileOnto(data, base)
	if errors.Is(err, domain.ErrNotUTF8) {
		return Summary{}, fmt.Errorf("%w: %s", err, guessEncoding(data))
	}
	if err != nil {
		return Summary{}, err
	}
	changes := f.ChangesTo(current)
	if opts.Replace {
		if err := replaceProblems(f, current, changes); err != nil {
			return Summary{}, err
		}
	}
	s := Summary{Villages: len(f.Villages), Households: len(f.Households), Enterprises: len(f.Enterprises), Listings: len(f.Listings),
		New: changes.New, Changed: changes.Changed, Unchanged: changes.Unchanged, Appended: len(changes.Events)}
	if len(changes.Events) == 0 {
		return s, nil
	}
	if err := sink.Append(ctx, changes.Events...); err != nil {
		return Summary{}, fmt.Errorf("append registry: %w", err)
	}
	return s, nil
}

// replaceProblems lists why a file cannot replace the registry: records
// of the log it lacks, another district.
func replaceProblems(f *domain.RegistryFile, current *domain.Registry, changes domain.RegistryChanges) error {
	var lines []string
	if id := current.District.ID; id != "" && f.District.ID != id {
		lines = append(lines, fmt.Sprintf("district: the file's is %s, the log's %s: a log holds one district's registry", f.District.ID, id))
	}
	for _, m := range changes.Missing {
		lines = append(lines, m+": in the registry but not in the file")
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("registry file cannot replace the registry, %d problem(s) (--replace needs the whole registry: "+
		"an append-only log cannot forget a record, so add them to the file, or load it without --replace to add to the registry):\n%s",
		len(lines), strings.Join(lines, "\n"))
}

// Append appends an already parsed registry whole, validated on its own
// (the demo and tests build registries in code).
func Append(ctx context.Context, f *domain.RegistryFile, sink ingest.Sink) (Summary, error) {
	if err := f.Validate(); err != nil {
		return Summary{}, err
	}
	events := f.Events()
	if err := sink.Append(ctx, events...); err != nil {
		return Summary{}, fmt.Errorf("append registry: %w", err)
	}
	return Summary{Villages: len(f.Villages), Households: len(f.Households), Enterprises: len(f.Enterprises), Listings: len(f.Listings),
		New: len(events), Appended: len(events)}, nil
}

// LoadFile reads a registry file and loads it onto current (LoadOnto).
func LoadFile(ctx context.Context, path string, current *domain.Registry, sink ingest.Sink, opts Options) (Summary, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Summary{}, fmt.Errorf("read registry file: %w", err)
	}
	if info.Size() > domain.MaxRegistryFileBytes {
		return Summary{}, fmt.Errorf("%s is %d bytes, more than the %d a registry file may take", path, info.Size(), domain.MaxRegistryFileBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Summary{}, fmt.Errorf("read registry file: %w", err)
	}
	s, err := LoadOnto(ctx, data, current, sink, opts)
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// LoadIntoLog is `loquat registry load`: it reads the registry in the log,
// loads the file onto it and appends to the log.
func LoadIntoLog(ctx context.Context, path string, log eventlog.Backend, opts Options) (Summary, error) {
	current, err := eventlog.ReadRegistry(ctx, log)
	if err != nil {
		return Summary{}, err
	}
	return LoadFile(ctx, path, current, eventlog.NewWriter(log.Publisher()), opts)
}
