package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/server"
)

func newRegistryCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Short: "Manage the registry of villages, households, enterprises and listings"}
	var lf logFlags
	var opts registry.Options
	load := &cobra.Command{
		Use:   "load FILE",
		Short: "Validate a registry file and append it to the event log",
		Long: `Validates the file against the registry already in the event log and appends its new and
changed records: a file may add one listing or a few households, and name villages, households
and enterprises loaded before. Every problem is listed at once, each naming its record, and
nothing is appended if there is any. Loading the same file again changes nothing.

With --replace the file is the whole registry: it must be complete on its own, and it is refused
if the log holds a village, household, enterprise or listing version it lacks (the log is
append-only: records are never forgotten). The format is in ingest/registry/README.md.

A running 'loquat serve' on the same data dir picks the changes up; a listing change applies to
orders projected after it, or to all after 'loquat rebuild'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := server.OpenLog(g.dataDir, lf.config(), g.logger())
			if err != nil {
				return err
			}
			defer log.Close()
			s, err := registry.LoadIntoLog(cmd.Context(), args[0], log, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Loaded %s: %d villages, %d households, %d enterprises, %d listings; %d records new, %d changed, %d unchanged (%d events appended).\n",
				args[0], s.Villages, s.Households, s.Enterprises, s.Listings, s.New, s.Changed, s.Unchanged, s.Appended)
			return nil
		},
	}
	lf.register(load.Flags())
	load.Flags().BoolVar(&opts.Replace, "replace", false, "the file is the whole registry: refuse it if the log holds records it lacks")
	cmd.AddCommand(load)
	return cmd
}
