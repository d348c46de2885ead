package bench_test

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/loquat-dev/loquat/internal/bench"
	"github.com/loquat-dev/loquat/internal/server"
)

// BenchmarkEndToEndKafka is `loquat bench` with the Kafka event log: a
// kfake broker in this process speaks the real wire protocol, the projector
// consumes from it. Run with:
//
//	go test -run '^$' -bench EndToEndKafka -benchtime 1x ./internal/bench/
func BenchmarkEndToEndKafka(b *testing.B) {
	for i := 0; i < b.N; i++ {
		cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			b.Fatal(err)
		}
		r, err := bench.Run(context.Background(), bench.Options{
			EventLog: server.LogConfig{Backend: "kafka", Kafka: server.KafkaConfig{Brokers: cluster.ListenAddrs(), Partitions: 8}},
		})
		cluster.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.EventsPerSecond, "events/s")
		b.ReportMetric(float64(r.FreshP50.Microseconds())/1000, "fresh-p50-ms")
		b.ReportMetric(float64(r.FreshP99.Microseconds())/1000, "fresh-p99-ms")
		b.ReportMetric(float64(r.PacedFreshP50.Microseconds())/1000, "paced-fresh-p50-ms")
		b.ReportMetric(float64(r.PacedFreshP99.Microseconds())/1000, "paced-fresh-p99-ms")
		b.ReportMetric(r.Ratio, "ratio")
	}
}
