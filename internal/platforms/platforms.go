// Package platforms lists the platforms a node takes orders from. Adding a
// platform is its folder under ingest/ and one line here: serve's flags, the
// node's pollers and push paths, the demo and the samples loop over All.
package platforms

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/kuaishou"
)

// All are the registered platforms, in the order their flags are listed.
var All = []ingest.Platform{
	douyin.Registration,
	jd.Registration,
	kuaishou.Registration,
}

// Register adds a platform to All, and its name to the platforms order
// events may name (domain.KnownPlatforms), for a platform the domain does not
// list already: registering is the one line a new platform needs outside its
// folder. Call it before anything runs, as All is read unguarded.
func Register(p ingest.Platform) {
	All = append(All, p)
	if !domain.KnownPlatform(p.Name) {
		domain.KnownPlatforms = append(domain.KnownPlatforms, p.Name)
	}
}

// Flags registers every platform's flags on fs and returns what reads them,
// after parsing, into one Source a platform, in All's order.
func Flags(fs *pflag.FlagSet) func() ([]ingest.Source, error) {
	var reads []func() (ingest.Source, error)
	for _, p := range All {
		reads = append(reads, p.Flags(fs))
	}
	return func() ([]ingest.Source, error) {
		var sources []ingest.Source
		var errs []error
		for _, read := range reads {
			s, err := read()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			sources = append(sources, s)
		}
		return sources, errors.Join(errs...)
	}
}
