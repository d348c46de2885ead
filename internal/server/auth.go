package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/loquat-dev/loquat/api"
	"github.com/loquat-dev/loquat/internal/auth"
)

// AuthConfig configures who may read the API and how it is served.
type AuthConfig struct {
	// Insecure serves /api/v1 to anyone, unscoped (--insecure-no-auth).
	// Without it a node with the API role authenticates every /api/v1
	// request against the accounts in DataDir (internal/auth) — except on
	// a loopback address with no account at all, where it serves unscoped
	// and says so; a non-loopback address with no account refuses to start.
	Insecure bool
	// TLSCertFile and TLSKeyFile serve HTTPS (both or neither).
	TLSCertFile string
	TLSKeyFile  string
	// AdminAddr serves /readyz and /metrics on a separate listener (often
	// loopback or an internal network) instead of on Addr.
	AdminAddr string
}

// openAuth decides how the API authenticates and opens the accounts.
func (n *Node) openAuth(ctx context.Context) error {
	if n.cfg.Auth.Insecure {
		n.authWarning = "serving the API without authentication (--insecure-no-auth): anyone who reaches the port reads everything"
		return nil
	}
	svc, err := auth.Open(ctx, auth.Config{DataDir: n.cfg.DataDir, Logger: n.cfg.Logger})
	if err != nil {
		return err
	}
	has, err := svc.HasAccounts(ctx)
	if err != nil {
		svc.Close()
		return fmt.Errorf("read the accounts: %w", err)
	}
	if has {
		n.auth = svc
		return nil
	}
	svc.Close()
	if !loopback(n.cfg.Addr) {
		return fmt.Errorf("refusing to serve the API on %s with no account: create one with 'loquat users add NAME --role district_admin --data-dir %s', or pass --insecure-no-auth", n.cfg.Addr, n.cfg.DataDir)
	}
	n.authWarning = "no account yet: serving the API unauthenticated on loopback only; 'loquat users add' and a restart turn authentication on"
	return nil
}

// warnAuth logs how the API is served without authentication, once the
// node is sure to serve (a misconfiguration found later is the only line
// its operator should see).
func (n *Node) warnAuth() {
	if n.authWarning != "" {
		n.cfg.Logger.Warn(n.authWarning, "addr", n.cfg.Addr)
	}
}

// loopback reports whether addr (host:port) listens on loopback only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tlsConfig loads the certificate, so a bad one stops the node at start.
func (c AuthConfig) tlsConfig() (*tls.Config, error) {
	if c.TLSCertFile == "" && c.TLSKeyFile == "" {
		return nil, nil
	}
	if c.TLSCertFile == "" || c.TLSKeyFile == "" {
		return nil, errors.New("give both --tls-cert and --tls-key, or neither")
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("load --tls-cert %s and --tls-key %s: %w", c.TLSCertFile, c.TLSKeyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// listenHTTP prepares the main listener (TLS if configured) and, with
// AdminAddr, the admin one serving /readyz and /metrics.
func (n *Node) listenHTTP(handler, admin http.Handler) error {
	tlsCfg, err := n.cfg.Auth.tlsConfig()
	if err != nil {
		return err
	}
	if n.listener, err = net.Listen("tcp", n.cfg.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w (is another server using the port? set --addr)", n.cfg.Addr, err)
	}
	n.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsCfg,
		ConnContext: api.ConnContext} // the live stream bounds its connections' buffers
	if tlsCfg != nil {
		n.scheme, n.listener = "https", tls.NewListener(n.listener, tlsCfg)
	}
	if admin == nil {
		return nil
	}
	if n.adminListener, err = net.Listen("tcp", n.cfg.Auth.AdminAddr); err != nil {
		return fmt.Errorf("listen on --admin-addr %s: %w", n.cfg.Auth.AdminAddr, err)
	}
	n.admin = &http.Server{Handler: admin, ReadHeaderTimeout: 10 * time.Second}
	return nil
}

// AdminURL is the admin listener's base URL, empty without AdminAddr.
func (n *Node) AdminURL() string {
	if n.adminListener == nil {
		return ""
	}
	return "http://" + n.adminListener.Addr().String()
}

// serveAdmin serves the admin listener until Shutdown.
func (n *Node) serveAdmin() error {
	if n.admin == nil {
		return nil
	}
	if err := n.admin.Serve(n.adminListener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
