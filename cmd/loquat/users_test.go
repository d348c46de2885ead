package main_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestUsersCommand drives `loquat users` as an operator would: every
// misuse exits non-zero with a one-line reason, and what it did shows in
// `users list`.
func TestUsersCommand(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "root", "--role", "superuser"}, "role \"superuser\""},
		{[]string{"add", "acme", "--role", "enterprise"}, "--enterprise"},
		{[]string{"add", "clerk", "--role", "auditor", "--village", "V-0101"}, "not bound"},
		{[]string{"disable", "nobody"}, "no such account"},
		{[]string{"token", "nobody"}, "no such account"},
		{[]string{"token", "--revoke", "tok_nope"}, "no such token"},
		{[]string{"passwd", "nobody"}, "no such account"},
	} {
		out, err := usersCmd(t, dir, tc.args...)
		if err == nil || !strings.Contains(out, tc.want) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("users %v: %v\n%s\nwant a non-zero exit and one line saying %q", tc.args, err, out, tc.want)
		}
	}
	out, err := usersCmd(t, dir, "add", "admin", "--role", "district_admin")
	if err != nil || !regexp.MustCompile(`password: \S{20}`).MatchString(out) {
		t.Fatalf("users add: %v\n%s", err, out)
	}
	cmd := exec.Command(binary, "--data-dir", dir, "users", "add", "acme", "--role", "enterprise", "--enterprise", "E-ACME", "--password-stdin")
	cmd.Stdin = strings.NewReader("a password from stdin\n")
	if out, err := cmd.CombinedOutput(); err != nil || strings.Contains(string(out), "password:") {
		t.Fatalf("users add --password-stdin: %v\n%s", err, out)
	}
	if out, err := usersCmd(t, dir, "add", "admin", "--role", "auditor"); err == nil || !strings.Contains(out, "exists already") {
		t.Errorf("adding admin twice: %v\n%s", err, out)
	}
	out, err = usersCmd(t, dir, "token", "acme", "--name", "nightly-report", "--ttl", "24h")
	m := tokenOut.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("users token: %v\n%s", err, out)
	}
	if out, err := usersCmd(t, dir, "disable", "acme"); err != nil {
		t.Fatalf("disable: %v\n%s", err, out)
	}
	out, err = usersCmd(t, dir, "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"admin", "district_admin", "acme", "enterprise of E-ACME", "disabled", m[1] + " nightly-report until"} {
		if !strings.Contains(out, want) {
			t.Errorf("users list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, m[2]) || strings.Contains(out, "a password from stdin") {
		t.Errorf("users list shows a secret:\n%s", out)
	}
}

// TestServeRefusesOpenAPIOnTheNetwork: no account and a non-loopback
// address is a one-line error and a non-zero exit, unless
// --insecure-no-auth; with an account it serves, and 401s without a token.
func TestServeRefusesOpenAPIOnTheNetwork(t *testing.T) {
	dir := t.TempDir()
	out, err := exec.Command(binary, "--data-dir", dir, "api", "--addr", "0.0.0.0:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refusing to serve the API on 0.0.0.0:0 with no account") || strings.Contains(string(out), "panic") {
		t.Fatalf("api on 0.0.0.0 with no account: %v\n%s", err, out)
	}
	p := start(t, nil, "--data-dir", dir, "api", "--addr", "0.0.0.0:0", "--insecure-no-auth")
	url := loopbackURL(t, p, "http")
	if got, _ := (api{t: t, base: url}).get("/api/v1/overview"); got != http.StatusOK {
		t.Errorf("--insecure-no-auth: overview answers %d, want 200", got)
	}
	p.stop(t)

	if out, err := usersCmd(t, dir, "add", "admin", "--role", "district_admin"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p = start(t, nil, "--data-dir", dir, "api", "--addr", "0.0.0.0:0", "--admin-addr", "127.0.0.1:0")
	url = loopbackURL(t, p, "http")
	c := api{t: t, base: url}
	if got, _ := c.get("/api/v1/overview"); got != http.StatusUnauthorized {
		t.Errorf("with an account, no token: overview answers %d, want 401", got)
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 404, "/metrics": 404} {
		if got, _ := c.get(path); got != want {
			t.Errorf("with --admin-addr, GET %s on --addr answers %d, want %d", path, got, want)
		}
	}
	p.stop(t)
}

// TestServeTLS: --tls-cert/--tls-key serve HTTPS; the session cookie is Secure.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	if out, err := exec.Command(binary, "--data-dir", dir, "api", "--tls-cert", certFile).CombinedOutput(); err == nil || !strings.Contains(string(out), "--tls-key") {
		t.Fatalf("--tls-cert alone: %v\n%s", err, out)
	}
	cmd := exec.Command(binary, "--data-dir", dir, "users", "add", "admin", "--role", "district_admin", "--password-stdin")
	cmd.Stdin = strings.NewReader("a long enough password\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p := start(t, nil, "--data-dir", dir, "api", "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	url := loopbackURL(t, p, "https")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Post(url+"/api/v1/session", "application/json", strings.NewReader(`{"user":"admin","password":"a long enough password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var secure bool
	for _, c := range resp.Cookies() {
		secure = secure || (c.Name == "loquat_session" && c.Secure && c.HttpOnly)
	}
	if resp.StatusCode != http.StatusOK || !secure {
		t.Errorf("sign-in over HTTPS: %d, cookies %v; want 200 and a Secure, HttpOnly session cookie", resp.StatusCode, resp.Cookies())
	}
	p.stop(t)
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "loquat test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

var anyServingURL = regexp.MustCompile(`serving on (https?)://(?:\[::\]|[0-9.]+):(\d+)`)

// loopbackURL waits for the process to say where it serves and returns
// that port on 127.0.0.1, checking the scheme.
func loopbackURL(t *testing.T, p *proc, scheme string) string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if m := anyServingURL.FindStringSubmatch(p.output()); m != nil {
			if m[1] != scheme {
				t.Fatalf("serving %s, want %s:\n%s", m[1], scheme, p.output())
			}
			return scheme + "://127.0.0.1:" + m[2]
		}
		if time.Now().After(deadline) {
			t.Fatalf("loquat did not say where it serves:\n%s", p.output())
		}
	}
}
