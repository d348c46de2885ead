package main

import (
	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/internal/server"
)

// registerAuth adds the flags of authentication, TLS and the admin listener.
func (f *nodeFlags) registerAuth(cmd *cobra.Command, roles server.Roles) {
	fs := cmd.Flags()
	if roles.API {
		fs.BoolVar(&f.auth.Insecure, "insecure-no-auth", false, "serve /api/v1 to anyone who reaches --addr, without accounts (never on a network holding real households' data)")
	}
	fs.StringVar(&f.auth.TLSCertFile, "tls-cert", envOr("LOQUAT_TLS_CERT", ""), "PEM certificate (chain) to serve HTTPS; with --tls-key (env LOQUAT_TLS_CERT)")
	fs.StringVar(&f.auth.TLSKeyFile, "tls-key", envOr("LOQUAT_TLS_KEY", ""), "PEM private key of --tls-cert (env LOQUAT_TLS_KEY)")
	fs.StringVar(&f.auth.AdminAddr, "admin-addr", envOr("LOQUAT_ADMIN_ADDR", ""), "serve /readyz and /metrics on this address instead of --addr (env LOQUAT_ADMIN_ADDR)")
}
