package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/kuaishou"
	"github.com/loquat-dev/loquat/internal/server"
)

// nodeFlags configure a node from the command line.
type nodeFlags struct {
	log          logFlags
	store        storeFlags
	addr         string
	douyinKey    string
	douyinSecret string
	douyinToken  string
	douyinAPI    string
	jdKey        string
	jdAPI        string
	jdStart      string
	ksKey        string
	ksAPI        string
	ksStart      string
	accept       acceptFlags
	auth         server.AuthConfig
}

func (f *nodeFlags) register(cmd *cobra.Command, roles server.Roles) {
	f.log.register(cmd.Flags())
	cmd.Flags().StringVar(&f.addr, "addr", envOr("LOQUAT_ADDR", "127.0.0.1:8080"), "HTTP listen address (env LOQUAT_ADDR)")
	if roles.Project || roles.API {
		f.store.register(cmd.Flags())
	}
	f.registerAuth(cmd, roles)
	if roles.Ingest {
		cmd.Flags().StringVar(&f.douyinKey, "douyin-app-key", envOr("LOQUAT_DOUYIN_APP_KEY", ""), "抖店 app key; enables POST /ingest/douyin (env LOQUAT_DOUYIN_APP_KEY)")
		cmd.Flags().StringVar(&f.douyinSecret, "douyin-app-secret", "", "抖店 app secret (prefer env LOQUAT_DOUYIN_APP_SECRET: flags show in ps)")
		cmd.Flags().StringVar(&f.douyinToken, "douyin-access-token", "", "抖店 shop access token (prefer env LOQUAT_DOUYIN_ACCESS_TOKEN)")
		cmd.Flags().StringVar(&f.douyinAPI, "douyin-api-url", envOr("LOQUAT_DOUYIN_API_URL", douyin.DefaultAPIBaseURL), "抖店 open API base URL for order details (env LOQUAT_DOUYIN_API_URL)")
		cmd.Flags().StringVar(&f.jdKey, "jd-app-key", envOr("LOQUAT_JD_APP_KEY", ""), "JD app key; enables the JD order poller (env LOQUAT_JD_APP_KEY). Its secret and token come only from env LOQUAT_JD_APP_SECRET and LOQUAT_JD_ACCESS_TOKEN: a flag would show in ps")
		cmd.Flags().StringVar(&f.jdAPI, "jd-api-url", envOr("LOQUAT_JD_API_URL", ""), "JD router endpoint (env LOQUAT_JD_API_URL; default https://api.jd.com/routerjson)")
		cmd.Flags().StringVar(&f.jdStart, "jd-start", envOr("LOQUAT_JD_START", ""), "where the JD poller starts when it has no cursor yet, RFC 3339 (env LOQUAT_JD_START; default 24 hours ago)")
		cmd.Flags().StringVar(&f.ksKey, "kuaishou-app-key", envOr("LOQUAT_KUAISHOU_APP_KEY", ""), "Kuaishou app key; enables the Kuaishou order poller (env LOQUAT_KUAISHOU_APP_KEY). Its sign secret and token come only from env LOQUAT_KUAISHOU_SIGN_SECRET and LOQUAT_KUAISHOU_ACCESS_TOKEN: a flag would show in ps")
		cmd.Flags().StringVar(&f.ksAPI, "kuaishou-api-url", envOr("LOQUAT_KUAISHOU_API_URL", ""), "Kuaishou open API base URL (env LOQUAT_KUAISHOU_API_URL; default https://openapi.kwaixiaodian.com)")
		cmd.Flags().StringVar(&f.ksStart, "kuaishou-start", envOr("LOQUAT_KUAISHOU_START", ""), "where the Kuaishou poller starts when it has no cursor yet, RFC 3339 (env LOQUAT_KUAISHOU_START; default 24 hours ago; at most 90 days back)")
		f.accept.register(cmd.Flags())
	}
}

func parseStart(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s=%q is not an RFC 3339 time such as 2020-04-30T00:00:00+08:00: %w", name, v, err)
	}
	return t, nil
}

func (f *nodeFlags) config(g *globals, roles server.Roles) (server.Config, error) {
	jdStart, jdErr := parseStart("jd-start", f.jdStart)
	ksStart, ksErr := parseStart("kuaishou-start", f.ksStart)
	if err := errors.Join(validateAddr("addr", f.addr), jdErr, ksErr); err != nil {
		return server.Config{}, err
	}
	var accept domain.AcceptWindow
	if roles.Ingest {
		var err error
		if accept, err = f.accept.window(); err != nil {
			return server.Config{}, err
		}
	}
	secret := f.douyinSecret
	if secret == "" {
		secret = envOr("LOQUAT_DOUYIN_APP_SECRET", "")
	}
	token := f.douyinToken
	if token == "" {
		token = envOr("LOQUAT_DOUYIN_ACCESS_TOKEN", "")
	}
	return server.Config{
		Pollers: server.PollerConfig{
			JD: jd.Config{AppKey: f.jdKey, AppSecret: jd.Secret(envOr("LOQUAT_JD_APP_SECRET", "")),
				AccessToken: jd.Secret(envOr("LOQUAT_JD_ACCESS_TOKEN", "")), APIBaseURL: f.jdAPI, Start: jdStart},
			Kuaishou: kuaishou.Config{AppKey: f.ksKey, SignSecret: kuaishou.Secret(envOr("LOQUAT_KUAISHOU_SIGN_SECRET", "")),
				AccessToken: kuaishou.Secret(envOr("LOQUAT_KUAISHOU_ACCESS_TOKEN", "")), APIBaseURL: f.ksAPI, Start: ksStart},
		},
		Accept:   accept,
		DataDir:  g.dataDir,
		Addr:     f.addr,
		Roles:    roles,
		Logger:   g.logger(),
		EventLog: f.log.config(),
		Store:    f.store.config(),
		Auth:     f.auth,
		Douyin: douyin.Config{
			AppKey:      f.douyinKey,
			AppSecret:   douyin.Secret(secret),
			AccessToken: douyin.Secret(token),
			APIBaseURL:  f.douyinAPI,
		},
	}, nil
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
				"eventlog", cfg.EventLog.Backend, "douyin_ingest", roles.Ingest && cfg.Douyin.AppKey != "")
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
