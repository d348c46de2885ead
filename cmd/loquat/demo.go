package main

import (
	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/internal/demo"
)

func newDemoCommand(g *globals) *cobra.Command {
	o := demo.Options{}
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Serve a simulated district and push it a simulated Douyin livestream day",
		Long: `Starts Loquat in a temporary data dir (nothing to install, nothing to configure), loads a fictional
district (4 towns, 12 villages, 360 households, 4 enterprises, listings for loquat, longan, shiitake and
flowers), then runs a simulated Douyin shop: it serves order details and pushes a livestream day of about
1,600 orders — bursts while the anchor presents the loquats, about 3% refunds, some messages pushed twice,
some refunds before their payment — through the real, signed /ingest/douyin endpoint. It prints what it
did and the URLs to open, and keeps serving until Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keep {
				o.DataDir = g.dataDir
			}
			o.Out, o.Progress, o.Logger = cmd.OutOrStdout(), cmd.ErrOrStderr(), g.logger()
			return demo.Run(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:8080", "HTTP listen address; :0 picks a free port")
	cmd.Flags().StringVar(&o.Day, "day", "", "China-time date of the simulated livestream, YYYY-MM-DD; its refunds and deliveries run for about a week after it, and the demo writes nothing later than now (default the latest day that has fully happened, about a week ago)")
	cmd.Flags().IntVar(&o.Orders, "orders", 1600, "orders the livestream sells")
	cmd.Flags().Uint64Var(&o.Seed, "seed", 1, "seed of the simulated day")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the data in --data-dir instead of a temporary directory")
	return cmd
}
