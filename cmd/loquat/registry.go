package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/server"
)

func newRegistryCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Short: "Manage the registry of villages, households, enterprises and listings"}
	var lf logFlags
	load := &cobra.Command{
		Use:   "load FILE",
		Short: "Validate a registry file and append it to the event log",
		Long: `Validates the whole file (every problem is listed at once) and appends it to the event log.
Loading the same file again changes nothing. A running 'loquat serve' on the same data dir
picks the changes up; a listing change applies to orders projected after it, or to all after 'loquat rebuild'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := server.OpenLog(g.dataDir, lf.config(), g.logger())
			if err != nil {
				return err
			}
			defer log.Close()
			s, err := registry.LoadFile(cmd.Context(), args[0], eventlog.NewWriter(log.Publisher()))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Loaded %s: %d villages, %d households, %d enterprises, %d listings.\n",
				args[0], s.Villages, s.Households, s.Enterprises, s.Listings)
			return nil
		},
	}
	lf.register(load.Flags())
	cmd.AddCommand(load)
	return cmd
}
