package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/internal/platforms"
	"github.com/loquat-dev/loquat/internal/server"
)

// nodeFlags configure a node from the command line.
type nodeFlags struct {
	log       logFlags
	store     storeFlags
	addr      string
	platforms func() ([]ingest.Source, error) // reads the registered platforms' flags
	accept    acceptFlags
	auth      server.AuthConfig
	monitor   domain.MonitoringThresholds
}

func (f *nodeFlags) register(cmd *cobra.Command, roles server.Roles) {
	f.log.register(cmd.Flags())
	cmd.Flags().StringVar(&f.addr, "addr", envOr("LOQUAT_ADDR", "127.0.0.1:8080"), "HTTP listen address (env LOQUAT_ADDR)")
	if roles.Project || roles.API {
		f.store.register(cmd.Flags())
	}
	f.registerAuth(cmd, roles)
	if roles.API {
		cmd.Flags().Int64Var(&f.monitor.NearLinePct, "monitor-near-line-pct", domain.DefaultNearLinePct,
			"the monitoring list flags a household whose per-capita income is at most this many percent above the line (1-100)")
		cmd.Flags().Int64Var(&f.monitor.DropPct, "monitor-drop-pct", domain.DefaultDropPct,
			"the monitoring list flags a household whose trailing 365 days' income fell by more than this many percent against the 365 before (1-100)")
	}
	if roles.Ingest {
		f.platforms = platforms.Flags(cmd.Flags())
		f.accept.register(cmd.Flags())
	}
}

func (f *nodeFlags) config(g *globals, roles server.Roles) (server.Config, error) {
	var sources []ingest.Source
	var sourcesErr error
	if f.platforms != nil {
		sources, sourcesErr = f.platforms()
	}
	var nearErr, dropErr error
	if roles.API { // the roles without it have no such flags
		nearErr, dropErr = validatePct("monitor-near-line-pct", f.monitor.NearLinePct), validatePct("monitor-drop-pct", f.monitor.DropPct)
	}
	if err := errors.Join(validateAddr("addr", f.addr), sourcesErr, nearErr, dropErr); err != nil {
		return server.Config{}, err
	}
	var accept domain.AcceptWindow
	if roles.Ingest {
		var err error
		if accept, err = f.accept.window(); err != nil {
			return server.Config{}, err
		}
	}
	return server.Config{
		Platforms: sources,
		Accept:    accept,
		DataDir:   g.dataDir,
		Addr:      f.addr,
		Roles:     roles,
		Logger:    g.logger(),
		EventLog:  f.log.config(),
		Store:     f.store.config(),
		Auth:      f.auth,
		Monitor:   f.monitor,
	}, nil
}

// enabled names the platforms a node takes orders from.
func enabled(sources []ingest.Source) []string {
	var names []string
	for _, s := range sources {
		if s.Enabled() {
			names = append(names, s.Platform())
		}
	}
	return names
}

// validatePct checks a percentage flag: 1 to 100 (0 would silently mean
// the default).
func validatePct(flag string, v int64) error {
	if v < 1 || v > 100 {
		return fmt.Errorf("--%s=%d is not a percentage from 1 to 100", flag, v)
	}
	return nil
}

// newNodeCommand builds serve, ingest, project and api: one node, some roles.
func newNodeCommand(g *globals, use, short, long string, roles server.Roles) *cobra.Command {
	f := &nodeFlags{}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(g, roles)
			if err != nil {
				return err
			}
			node, err := server.Open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			cfg.Logger.Info("loquat serving", "roles", roles.String(), "url", node.URL(), "data_dir", cfg.DataDir,
				"eventlog", cfg.EventLog.Backend, "platforms", enabled(cfg.Platforms))
			fmt.Fprintf(cmd.OutOrStdout(), "Loquat (%s) is serving on %s. Ctrl-C stops it.\n", roles, node.URL())
			start := time.Now()
			err = node.Run(cmd.Context())
			cfg.Logger.Info("loquat stopped", "uptime", time.Since(start).Round(time.Second))
			return err
		},
	}
	f.register(cmd, roles)
	return cmd
}

func newServeCommand(g *globals) *cobra.Command {
	return newNodeCommand(g, "serve", "Run ingest, projector and API in one process (the single-machine deployment)",
		`Runs every role in one process: the platforms' webhooks, the projector and the API.
The event log is embedded (SQLite in --data-dir) unless --eventlog kafka is given.`, server.AllRoles)
}

func newIngestCommand(g *globals) *cobra.Command {
	return newNodeCommand(g, "ingest", "Run the ingest role: platform webhooks → event log",
		`Serves the platforms' webhooks (POST /ingest/douyin) and appends what they receive to the
event log, normally Kafka (--eventlog kafka). Scale it out freely: it keeps no state.
File imports run as 'loquat import --eventlog kafka FILE'.`, server.Roles{Ingest: true})
}

func newProjectCommand(g *globals) *cobra.Command {
	return newNodeCommand(g, "project", "Run the projector role: event log → read model",
		`Consumes the event log into the read model, committing each batch together with the log
positions it covers, so a crash or a rebalance never counts anything twice. Serves /healthz,
/readyz and /metrics on --addr.`, server.Roles{Project: true})
}

func newAPICommand(g *globals) *cobra.Command {
	return newNodeCommand(g, "api", "Run the API role: read model → HTTP",
		`Serves the read model over HTTP (the /api/v1 endpoints, /healthz, /readyz, /metrics).
It only reads: run as many as needed beside one projector.`, server.Roles{API: true})
}
