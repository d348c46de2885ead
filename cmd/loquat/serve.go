package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/internal/server"
)

// serveFlags configure a node from the command line.
type serveFlags struct {
	addr           string
	douyinKey      string
	douyinSecret   string
	douyinToken    string
	douyinAPI      string
	logSynchronous string
}

func (f *serveFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.addr, "addr", envOr("LOQUAT_ADDR", "127.0.0.1:8080"), "HTTP listen address (env LOQUAT_ADDR)")
	cmd.Flags().StringVar(&f.douyinKey, "douyin-app-key", envOr("LOQUAT_DOUYIN_APP_KEY", ""), "抖店 app key; enables POST /ingest/douyin (env LOQUAT_DOUYIN_APP_KEY)")
	cmd.Flags().StringVar(&f.douyinSecret, "douyin-app-secret", "", "抖店 app secret (prefer env LOQUAT_DOUYIN_APP_SECRET: flags show in ps)")
	cmd.Flags().StringVar(&f.douyinToken, "douyin-access-token", "", "抖店 shop access token (prefer env LOQUAT_DOUYIN_ACCESS_TOKEN)")
	cmd.Flags().StringVar(&f.douyinAPI, "douyin-api-url", envOr("LOQUAT_DOUYIN_API_URL", douyin.DefaultAPIBaseURL), "抖店 open API base URL for order details (env LOQUAT_DOUYIN_API_URL)")
	cmd.Flags().StringVar(&f.logSynchronous, "eventlog-sync", envOr("LOQUAT_EVENTLOG_SYNC", "FULL"), "FULL: every append is fsynced before it is acknowledged; NORMAL: faster, survives a crash but not a power loss (env LOQUAT_EVENTLOG_SYNC)")
}

func (f *serveFlags) config(g *globals) server.Config {
	secret := f.douyinSecret
	if secret == "" {
		secret = envOr("LOQUAT_DOUYIN_APP_SECRET", "")
	}
	token := f.douyinToken
	if token == "" {
		token = envOr("LOQUAT_DOUYIN_ACCESS_TOKEN", "")
	}
	cfg := server.Config{
		DataDir: g.dataDir,
		Addr:    f.addr,
		Logger:  g.logger(),
		Douyin: douyin.Config{
			AppKey:      f.douyinKey,
			AppSecret:   douyin.Secret(secret),
			AccessToken: douyin.Secret(token),
			APIBaseURL:  f.douyinAPI,
		},
	}
	cfg.EventLog.Synchronous = f.logSynchronous
	return cfg
}

func newServeCommand(g *globals) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run ingest, projector and API in one process (the single-machine deployment)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := f.config(g)
			node, err := server.Open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			cfg.Logger.Info("loquat serving", "url", node.URL(), "data_dir", cfg.DataDir, "douyin_ingest", cfg.Douyin.AppKey != "")
			fmt.Fprintf(cmd.OutOrStdout(), "Loquat is serving on %s (data in %s). Ctrl-C stops it.\n", node.URL(), cfg.DataDir)
			start := time.Now()
			err = node.Run(cmd.Context())
			cfg.Logger.Info("loquat stopped", "uptime", time.Since(start).Round(time.Second))
			return err
		},
	}
	f.register(cmd)
	return cmd
}
