package export

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/loquat-dev/loquat/domain"
)

// TestXLSXNextSheet: rows beyond a sheet's limit go on to the next sheet
// under the same frozen header, none lost (the limit is made small here;
// Excel's is 1,048,576 rows).
func TestXLSXNextSheet(t *testing.T) {
	defer func(n int) { maxSheetRows = n }(maxSheetRows)
	maxSheetRows = 4 // a header and three rows a sheet
	type r struct {
		ID  string     `json:"id"`
		Net domain.Fen `json:"net_fen"`
	}
	var rows []r
	for i := range 8 {
		rows = append(rows, r{ID: fmt.Sprintf("R%d", i), Net: domain.Fen(i*101 - 300)})
	}
	var b bytes.Buffer
	if err := WriteAll(&b, XLSX, rows); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); fmt.Sprint(got) != "[数据 数据2 数据3]" {
		t.Fatalf("sheets %q", got)
	}
	i := 0
	for _, sheet := range f.GetSheetList() {
		got, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got[0]) != "[编号 净销售额（元）]" {
			t.Errorf("%s header %q", sheet, got[0])
		}
		if p, _ := f.GetPanes(sheet); !p.Freeze || p.YSplit != 1 {
			t.Errorf("%s panes %+v", sheet, p)
		}
		for _, row := range got[1:] {
			if want := []string{rows[i].ID, Yuan(rows[i].Net)}; row[0] != want[0] || mustFen(t, row[1]) != rows[i].Net {
				t.Errorf("%s row %q, want %q", sheet, row, want)
			}
			i++
		}
	}
	if i != len(rows) {
		t.Errorf("%d rows read back, %d written", i, len(rows))
	}
}

// mustFen reads a raw number cell ("-1.99", "2") back into fen, by its
// digits.
func mustFen(t *testing.T, s string) domain.Fen {
	t.Helper()
	var whole, frac int64
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var fracDigits string
	for i, c := range s {
		if c == '.' {
			fracDigits = s[i+1:]
			s = s[:i]
			break
		}
	}
	whole, _ = strconv.ParseInt(s, 10, 64)
	for len(fracDigits) < 2 {
		fracDigits += "0"
	}
	if len(fracDigits) > 2 {
		t.Fatalf("%q has more than two decimals", s)
	}
	frac, _ = strconv.ParseInt(fracDigits, 10, 64)
	v := domain.Fen(whole*100 + frac)
	if neg {
		v = -v
	}
	return v
}
