package export_test

import (
	"fmt"
	"io"
	"reflect"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/export"
	"github.com/loquat-dev/loquat/projections"
)

// BenchmarkExport writes n household rows (made as they are written, so
// only the writer's memory is measured) as CSV and .xlsx to io.Discard,
// and reports rows/s and the peak heap in use above the start, sampled
// every 2,000 rows and at the end — at two sizes, to show the writer's
// memory does not grow with the rows. rows/cpu_s (rows per second of
// the process's CPU time) is the steadier figure on a shared machine:
//
//	go test -run XXX -bench Export -benchtime 1x ./internal/export
func BenchmarkExport(b *testing.B) {
	for _, f := range []export.Format{export.CSV, export.XLSX} {
		for _, n := range []int{20_000, 200_000} {
			b.Run(fmt.Sprintf("%s/rows=%d", f, n), func(b *testing.B) {
				var peak uint64
				var took, cpu time.Duration
				for b.Loop() {
					runtime.GC()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					base := ms.HeapInuse
					start, startCPU := time.Now(), processCPU()
					s, err := export.NewSheet(io.Discard, f, reflect.TypeFor[projections.HouseholdSummary]())
					if err != nil {
						b.Fatal(err)
					}
					sample := func() {
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > base && ms.HeapInuse-base > peak {
							peak = ms.HeapInuse - base
						}
					}
					for i := range n {
						if err := s.Write(household(i)); err != nil {
							b.Fatal(err)
						}
						if i%2000 == 0 {
							sample()
						}
					}
					sample()
					if err := s.Close(); err != nil {
						b.Fatal(err)
					}
					sample()
					took += time.Since(start)
					cpu += processCPU() - startCPU
				}
				b.ReportMetric(float64(n*b.N)/took.Seconds(), "rows/s")
				b.ReportMetric(float64(n*b.N)/cpu.Seconds(), "rows/cpu_s")
				b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MiB")
			})
		}
	}
}

func household(i int) projections.HouseholdSummary {
	fen := domain.Fen(i*137%1_000_000 - 20_000)
	return projections.HouseholdSummary{
		HouseholdID: fmt.Sprintf("H%07d", i), VillageID: fmt.Sprintf("V%03d", i%300), Category: "脱贫户", Members: int64(1 + i%6),
		BaselineIncomeFen: 1_200_000 + fen, AttributedSalesFen: fen, RecordedIncomeFen: fen / 3, IncomeGainFen: fen + fen/3,
		IncomeByCategory:  domain.IncomeByCategory{OperatingFen: fen, WageFen: fen / 3},
		TrailingIncomeFen: 2 * fen, PerCapitaIncomeFen: 600_000 + fen/2, MonitoringLineFen: 650_000, BelowMonitoringLine: fen < 50_000,
	}
}

// processCPU is the CPU time (user + system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
