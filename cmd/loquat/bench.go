package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/internal/bench"
)

func newBenchCommand(g *globals) *cobra.Command {
	o := bench.Options{}
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the embedded pipeline: events/s and freshness, against a plain SQLite insert of the same ledger rows",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = cmd.ErrOrStderr()
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				o.CPUProfile = f
			}
			r, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "| measure | value |\n|---|---|\n")
			fmt.Fprintf(w, "| orders / push messages / events | %d / %d / %d |\n", r.Orders, r.Messages, r.Events)
			fmt.Fprintf(w, "| pushers × messages per push, event log sync | %d × %d, %s |\n", r.Pushers, r.BatchSize, r.Sync)
			fmt.Fprintf(w, "| pipeline: push → visible in the read model | %s, **%.0f events/s** |\n", r.Pipeline.Round(time.Millisecond), r.EventsPerSecond)
			fmt.Fprintf(w, "| CPU used meanwhile (node, simulated platform, pushers) | %s, %.0f µs per event |\n", r.PipelineCPU.Round(time.Millisecond), float64(r.PipelineCPU.Microseconds())/float64(max(r.Events, 1)))
			fmt.Fprintf(w, "| freshness at full speed (push answered → visible) p50 / p99 / max | %s / %s / %s |\n", ms(r.FreshP50), ms(r.FreshP99), ms(r.FreshMax))
			fmt.Fprintf(w, "| freshness at %d messages/s (%d messages) p50 / p99 / max | %s / **%s** / %s |\n", r.PacedRate, r.PacedMessages, ms(r.PacedFreshP50), ms(r.PacedFreshP99), ms(r.PacedFreshMax))
			fmt.Fprintf(w, "| plain batched SQLite insert of the same %d ledger rows | %s, %.0f events/s |\n", r.LedgerRows, r.Baseline.Round(time.Millisecond), r.BaselineEventsPerSecond)
			fmt.Fprintf(w, "| ratio pipeline ÷ plain insert | **%.2f** |\n", r.Ratio)
			fmt.Fprintf(w, "| GMV read model / simulated ledger (fen) | %d / %d |\n", r.GMVFen, r.WantGMVFen)
			return nil
		},
	}
	cmd.Flags().IntVar(&o.Orders, "orders", 20000, "orders in the simulated livestream day")
	cmd.Flags().IntVar(&o.Pushers, "pushers", 4, "concurrent pushers")
	cmd.Flags().IntVar(&o.BatchSize, "batch", 100, "messages per push")
	cmd.Flags().StringVar(&o.Sync, "eventlog-sync", "FULL", "event log synchronous setting: FULL or NORMAL")
	cmd.Flags().IntVar(&o.PacedRate, "paced-rate", 5000, "messages per second of the freshness phase")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the throughput phase (first push to last commit) to this file")
	return cmd
}
