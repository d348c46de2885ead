package kafka_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/loquat-dev/loquat/eventlog/kafka"
)

// restartArg makes the test binary a broker-restart command: Watermill's
// universal suite restarts "the broker" by running an external command
// (Features.RestartServiceCommand). The test process serves a URL that
// restarts its in-process kfake cluster; the binary, started again with
// -kfake-restart=<url>, only requests that URL.
const restartArg = "-kfake-restart="

func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		if url, ok := strings.CutPrefix(os.Args[1], restartArg); ok {
			os.Exit(requestRestart(url))
		}
	}
	os.Exit(m.Run())
}

func requestRestart(url string) int {
	client := http.Client{Timeout: time.Minute}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "restart kfake:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "restart kfake:", resp.Status)
		return 1
	}
	return 0
}

// broker is an in-process Kafka cluster (kfake, the real wire protocol over
// TCP) that can be restarted on the same ports, keeping its data.
type broker struct {
	mu      sync.Mutex
	cluster *kfake.Cluster
	opts    []kfake.Opt
	addrs   []string
}

// newBroker starts a cluster of n brokers, stopped when t ends. With a data
// dir it persists (topics, records, groups, offsets), so restart keeps
// everything, as restarting a real broker would.
func newBroker(t testing.TB, n int, persistent bool) *broker {
	t.Helper()
	opts := []kfake.Opt{
		kfake.NumBrokers(n),
		kfake.GroupMinSessionTimeout(time.Second),
	}
	if persistent {
		opts = append(opts, kfake.DataDir(t.TempDir()))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	b := &broker{cluster: c, addrs: c.ListenAddrs()}
	var ports []int
	for _, a := range b.addrs {
		_, p, _ := net.SplitHostPort(a)
		port, _ := strconv.Atoi(p)
		ports = append(ports, port)
	}
	b.opts = append(opts, kfake.Ports(ports...))
	t.Cleanup(b.close)
	return b
}

// restart closes the cluster and starts it again on the same ports and data.
func (b *broker) restart() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cluster.Close()
	var err error
	for range 50 { // the ports may take a moment to be free again
		var c *kfake.Cluster
		if c, err = kfake.NewCluster(b.opts...); err == nil {
			b.cluster = c
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cluster.Close()
}

// testConfig is the log's configuration for tests: group timings short
// enough that rebalances take a fraction of a second, and a short nack
// resend sleep (the universal suite nacks 300 times in a row).
func testConfig(b *broker) kafka.Config {
	return kafka.Config{
		Brokers:           b.addrs,
		NackResendSleep:   20 * time.Millisecond,
		SessionTimeout:    6 * time.Second,
		HeartbeatInterval: 100 * time.Millisecond,
		RebalanceTimeout:  10 * time.Second,
		DrainTimeout:      time.Second,
		CommitInterval:    100 * time.Millisecond,
		RetryBackoff:      250 * time.Millisecond,
	}
}

// testLogger logs when LOQUAT_KAFKA_TEST_LOG is set (debug, or trace).
func testLogger() watermill.LoggerAdapter {
	switch os.Getenv("LOQUAT_KAFKA_TEST_LOG") {
	case "":
		return watermill.NopLogger{}
	case "trace":
		return watermill.NewStdLogger(true, true)
	default:
		return watermill.NewStdLogger(true, false)
	}
}

func openLog(t testing.TB, cfg kafka.Config) *kafka.Log {
	t.Helper()
	l, err := kafka.Open(cfg, testLogger())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
