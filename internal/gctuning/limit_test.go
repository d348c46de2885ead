package gctuning

import (
	"os"
	"path/filepath"
	"testing"
)

func TestContainerLimit(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name      string
		files     []string
		wantBytes int64
		// The limits for the embedded store and for ClickHouse.
		wantLimit, wantClickHouse int64
	}{
		{"no cgroup", []string{missing, missing}, 0, MemoryLimit, ClickHouseMemoryLimit},
		{"v2 unlimited", []string{file("v2max", "max\n")}, 0, MemoryLimit, ClickHouseMemoryLimit},
		{"v2 one GiB", []string{file("v2", "1073741824\n")}, 1 << 30, MemoryLimit, 751619276}, // 0.7 GiB
		{"v2 larger than the limit", []string{file("v2big", "17179869184\n")}, 16 << 30, MemoryLimit, ClickHouseMemoryLimit},
		{"v1 unset", []string{missing, file("v1max", "9223372036854771712\n")}, 0, MemoryLimit, ClickHouseMemoryLimit},
		{"v1 512 MiB", []string{missing, file("v1", "536870912")}, 512 << 20, MemoryLimit, 375809638},
		{"v1 256 MiB", []string{missing, file("v1small", "268435456")}, 256 << 20, 187904819, 187904819},
		{"garbage", []string{file("bad", "lots")}, 0, MemoryLimit, ClickHouseMemoryLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := containerLimit(tt.files)
			if got != tt.wantBytes {
				t.Errorf("containerLimit = %d, want %d", got, tt.wantBytes)
			}
			if limit := memoryLimit(MemoryLimit, got); limit != tt.wantLimit {
				t.Errorf("memoryLimit(MemoryLimit) = %d, want %d", limit, tt.wantLimit)
			}
			if limit := memoryLimit(ClickHouseMemoryLimit, got); limit != tt.wantClickHouse {
				t.Errorf("memoryLimit(ClickHouseMemoryLimit) = %d, want %d", limit, tt.wantClickHouse)
			}
		})
	}
}
