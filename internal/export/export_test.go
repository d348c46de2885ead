package export_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/export"
)

func TestYuan(t *testing.T) {
	for _, tc := range []struct {
		fen  domain.Fen
		want string
	}{
		{0, "0.00"}, {5, "0.05"}, {-5, "-0.05"}, {10, "0.10"}, {100, "1.00"}, {123456, "1234.56"}, {-123456, "-1234.56"},
		{-100, "-1.00"}, {math.MaxInt64, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"},
	} {
		if got := export.Yuan(tc.fen); got != tc.want {
			t.Errorf("Yuan(%d) = %q, want %q", tc.fen, got, tc.want)
		}
	}
}

type row struct {
	Name   string     `json:"name"`
	Amount domain.Fen `json:"net_fen"`
	Skip   string     `json:"-"`
	Tags   []string   `json:"fields"`
}

// TestCSVDefusesFormulas: text that a spreadsheet would run as a formula
// is exported as text; amounts, negative ones too, stay numbers.
func TestCSVDefusesFormulas(t *testing.T) {
	var b bytes.Buffer
	rows := []row{
		{Name: "=1+1", Amount: -1250, Tags: []string{"a", "b"}},
		{Name: "+cmd", Amount: 1},
		{Name: "-x", Amount: 0},
		{Name: "@SUM(A1)", Amount: 99},
		{Name: "枇杷", Amount: 100},
	}
	if err := export.WriteAll(&b, export.CSV, rows); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"名称", "净销售额（元）", "不同字段"}, {"'=1+1", "-12.50", "a,b"}, {"'+cmd", "0.01", ""}, {"'-x", "0.00", ""}, {"'@SUM(A1)", "0.99", ""}, {"枇杷", "1.00", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d cell %d: %q, want %q", i, j, got[i][j], want[i][j])
			}
		}
	}
}
