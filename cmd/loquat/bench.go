package main

import (
	"fmt"
	"io"
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
	cmd.AddCommand(newBenchReadsCommand())
	return cmd
}

func newBenchReadsCommand() *cobra.Command {
	o := bench.ReadsOptions{}
	cmd := &cobra.Command{
		Use:   "reads",
		Short: "Measure the answers: every endpoint's p50/p99 over a year of orders, resident memory, import and rebuild rates",
		Long: `Builds a data set of --orders paid orders (one line each) over the --days before today across the
demo district's Douyin, JD and Kuaishou listings (3% refunded, Douyin rooms live three evenings a week),
imports it as 'loquat import' does into a node's event log, waits until it is projected, and times every
endpoint: --runs runs of --requests sequential requests each. Then 'loquat rebuild' of the same log.
With --clickhouse-dsn the same is measured on ClickHouse (in a database of its own, dropped after),
side by side.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = cmd.ErrOrStderr()
			r, err := bench.RunReads(cmd.Context(), o)
			if err != nil {
				return err
			}
			writeReads(cmd.OutOrStdout(), r)
			return nil
		},
	}
	cmd.Flags().IntVar(&o.Orders, "orders", 200000, "orders paid over the period")
	cmd.Flags().IntVar(&o.Days, "days", 365, "days the orders spread over, ending yesterday")
	cmd.Flags().IntVar(&o.Runs, "runs", 3, "runs of sequential requests")
	cmd.Flags().IntVar(&o.Requests, "requests", 10, "requests of each endpoint per run")
	cmd.Flags().StringVar(&o.ClickHouseDSN, "clickhouse-dsn", "", "also measure ClickHouse at this server (native protocol)")
	cmd.Flags().BoolVar(&o.SkipRebuild, "skip-rebuild", false, "do not measure the rebuild")
	return cmd
}

// writeReads prints the result as a Markdown table, the stores side by side.
func writeReads(w io.Writer, r bench.ReadsResult) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	mb := func(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
	fmt.Fprintf(w, "%d orders over %s..%s, %d runs × %d sequential requests per endpoint\n\n", r.Orders, r.First, r.Last, r.Runs, r.Requests)
	fmt.Fprint(w, "| answer |")
	for _, s := range r.Stores {
		fmt.Fprintf(w, " %s p50 / p99 / max (ms) |", s.Store)
	}
	fmt.Fprint(w, "\n|---|")
	for range r.Stores {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for i, ep := range r.Stores[0].Endpoints {
		fmt.Fprintf(w, "| %s |", ep.Name)
		for _, s := range r.Stores {
			e := s.Endpoints[i]
			fmt.Fprintf(w, " %s / %s / %s |", ms(e.P50), ms(e.P99), ms(e.Max))
		}
		fmt.Fprintln(w)
	}
	row := func(name string, v func(bench.StoreReads) string) {
		fmt.Fprintf(w, "| %s |", name)
		for _, s := range r.Stores {
			fmt.Fprintf(w, " %s |", v(s))
		}
		fmt.Fprintln(w)
	}
	row("import → visible", func(s bench.StoreReads) string {
		return fmt.Sprintf("%d events in %s, %.0f/s", s.Events, s.ImportVisible.Round(time.Millisecond), s.ImportRate)
	})
	row("rebuild", func(s bench.StoreReads) string {
		if s.RebuildEvents == 0 {
			return "—"
		}
		return fmt.Sprintf("%d events in %s, %.0f/s", s.RebuildEvents, s.Rebuild.Round(time.Millisecond), s.RebuildRate)
	})
	row("resident memory, peak (import to last answer) / after", func(s bench.StoreReads) string { return mb(s.PeakRSS) + " / " + mb(s.RSS) })
	row("resident memory, peak from the import's end to the last answer", func(s bench.StoreReads) string { return mb(s.AnswerPeakRSS) })
	row("read model file", func(s bench.StoreReads) string {
		if s.ReadModelBytes == 0 {
			return "—"
		}
		return mb(s.ReadModelBytes)
	})
}
