package clickhouse_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is a ClickHouse server of the test's own (the config of
// scripts/clickhouse.sh, on free ports), which the test may kill and start
// again on the same data directory.
type server struct {
	dir       string
	tcp, http int
	bin       string

	mu     sync.Mutex // guards cmd and exited
	cmd    *exec.Cmd
	exited chan struct{}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer starts a new server; it is killed when the test ends.
func startServer(t testing.TB) *server {
	t.Helper()
	bin, err := exec.LookPath("clickhouse-server")
	if err != nil {
		t.Fatalf("this test runs a ClickHouse server of its own and needs clickhouse-server on the PATH "+
			"(scripts/clickhouse.sh start installs it): %v", err)
	}
	base := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		base = "/dev/shm" // tmpfs: parts are many small files
	}
	dir, err := os.MkdirTemp(base, "loquat-clickhouse-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, f := range []string{"stdout.log", "clickhouse-server.err.log"} {
				out, _ := os.ReadFile(filepath.Join(dir, "log", f))
				if len(out) > 4000 {
					out = out[len(out)-4000:]
				}
				t.Logf("%s:\n%s", f, out)
			}
		}
		os.RemoveAll(dir)
	})
	s := &server{dir: dir, tcp: freePort(t), http: freePort(t), bin: bin}
	for _, d := range []string{"data", "tmp", "log", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%[1]s/log/clickhouse-server.log</log><errorlog>%[1]s/log/clickhouse-server.err.log</errorlog><size>100M</size><count>2</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <max_connections>256</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>1073741824</uncompressed_cache_size>
  <mark_cache_size>1073741824</mark_cache_size>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <users_config>%[1]s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>Asia/Shanghai</timezone>
  <mlock_executable>false</mlock_executable>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
</yandex>
`, dir, s.tcp, s.http)
	users := `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage><load_balancing>random</load_balancing></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o644); err != nil {
		t.Fatal(err)
	}
	s.start(t)
	t.Cleanup(func() { s.kill(t) })
	return s
}

// DSN is the server's native-protocol DSN.
func (s *server) DSN() string { return fmt.Sprintf("clickhouse://127.0.0.1:%d/default", s.tcp) }

// start starts the server (again) and waits until it answers.
func (s *server) start(t testing.TB) {
	t.Helper()
	if err := s.restart(); err != nil {
		t.Fatal(err)
	}
}

// restart is start for a goroutine other than the test's.
func (s *server) restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.bin, "--config-file="+filepath.Join(s.dir, "config.xml"))
	log, err := os.OpenFile(filepath.Join(s.dir, "log", "stdout.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	s.cmd, s.exited = cmd, exited
	go func() { cmd.Wait(); log.Close(); close(exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/ping", s.http))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			out, _ := os.ReadFile(filepath.Join(s.dir, "log", "clickhouse-server.err.log"))
			return fmt.Errorf("clickhouse-server exited: %s", out)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("clickhouse-server did not answer within 30s")
}

// kill kills the server at once (SIGKILL: no shutdown, as a crash).
func (s *server) kill(t testing.TB) {
	t.Helper()
	if err := s.crash(); err != nil {
		t.Fatal(err)
	}
}

// crash is kill for a goroutine other than the test's.
func (s *server) crash() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	select {
	case <-s.exited:
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill clickhouse-server: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("clickhouse-server did not die")
	}
}
