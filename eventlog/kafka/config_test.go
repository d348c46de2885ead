package kafka_test

import (
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/loquat-dev/loquat/eventlog/kafka"
)

func TestConfigValidate(t *testing.T) {
	brokers := []string{"127.0.0.1:9092"}
	for _, tc := range []struct {
		name string
		cfg  kafka.Config
		want []string // substrings of the error, one per problem; none: valid
	}{
		{"zero values but brokers are valid", kafka.Config{Brokers: brokers}, nil},
		{"explicit settings", kafka.Config{Brokers: brokers, RequiredAcks: kafkago.RequireOne, Compression: kafkago.Zstd,
			SessionTimeout: 30 * time.Second, HeartbeatInterval: 3 * time.Second}, nil},
		{"no brokers", kafka.Config{}, []string{"Brokers is empty"}},
		{"empty broker", kafka.Config{Brokers: []string{"a:1", ""}}, []string{"Brokers[1] is empty"}},
		{"every problem at once", kafka.Config{
			Partitions: -1, MaxWait: -time.Second, MinBytes: 10, MaxBytes: 5,
			SessionTimeout: time.Second, HeartbeatInterval: time.Second,
			RebalanceTimeout: time.Second, DrainTimeout: 2 * time.Second,
			RequiredAcks: 7, Compression: 99,
		}, []string{
			"Brokers is empty", "Partitions is -1", "MaxWait is -1s", "MinBytes (10) exceeds MaxBytes (5)",
			"HeartbeatInterval (1s) must be at most a third of SessionTimeout (1s)",
			"DrainTimeout (2s) must be below RebalanceTimeout (1s)", "RequiredAcks is 7", "Compression is 99",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors %q", tc.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tc.want) {
				t.Errorf("Validate() reported %d problems, want %d:\n%s", len(got), len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, missing %q", err, w)
				}
			}
		})
	}
}

func TestOpenReportsUnreachableBrokers(t *testing.T) {
	_, err := kafka.Open(kafka.Config{Brokers: []string{"127.0.0.1:1"}, DialTimeout: time.Second}, nil)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Open with an unreachable broker: got %v, want an error naming it", err)
	}
}

func TestOpenRejectsInvalidConfig(t *testing.T) {
	if _, err := kafka.Open(kafka.Config{}, nil); err == nil || !strings.Contains(err.Error(), "Brokers is empty") {
		t.Fatalf("Open(Config{}) = %v, want the Brokers error", err)
	}
}
