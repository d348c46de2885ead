package main

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/internal/server"
)

func newRebuildCommand(g *globals) *cobra.Command {
	var lf logFlags
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "rebuild",
		Short: "Drop the read model and replay the whole event log into a new one",
		Long: `Replays the event log from the start: the complete registry first, so every order is attributed
with the corrected history (a listing loaded late now covers the orders before it), then every event.
The new read model replaces the old one only when it is complete (SQLite: the file is renamed over
the old one; ClickHouse: the new tables are renamed into place, and APIs answer from the old ones
until then). Stop 'loquat serve' or 'loquat project' first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var bar *progressbar.ProgressBar
			phase := ""
			progress := func(p string, done, total int64) {
				if p != phase || bar == nil {
					if bar != nil {
						bar.Finish()
					}
					phase = p
					bar = progressbar.NewOptions64(total,
						progressbar.OptionSetDescription("rebuild: "+p),
						progressbar.OptionSetWriter(cmd.ErrOrStderr()),
						progressbar.OptionShowCount(),
						progressbar.OptionThrottle(100*time.Millisecond),
						progressbar.OptionClearOnFinish(),
					)
				}
				bar.Set64(done)
			}
			stats, err := server.Rebuild(cmd.Context(), g.dataDir, lf.config(), sf.config(), progress, g.logger())
			if bar != nil {
				bar.Finish()
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Rebuilt the read model in %s: %d events, %d dead letters replayed in %s.\n",
				g.dataDir, stats.Events, stats.DeadLetters, stats.Took.Round(time.Millisecond))
			return nil
		},
	}
	lf.register(cmd.Flags())
	sf.register(cmd.Flags())
	return cmd
}
