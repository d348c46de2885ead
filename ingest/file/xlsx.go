package file

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/loquat-dev/loquat/domain"
)

// ErrBadWorkbook is wrapped by the error Import returns for an xlsx file it
// cannot open or read: a whole-file problem, nothing is imported from it
// (or, for a sheet broken part way, nothing after the break).
var ErrBadWorkbook = errors.New("unreadable xlsx workbook")

// maxWorkbookBytes bounds what a workbook may unzip to: an xlsx is read
// into memory whole, and a zip bomb must not take the machine with it.
const maxWorkbookBytes = 1 << 30

// runXLSX imports the first sheet of a workbook: its first non-empty row is
// the header, as in CSV (Chinese names included), and each further row is
// written as a CSV line and read exactly as a CSV row is, so the two formats
// cannot drift apart. A row's "line" is its row number in the sheet; its
// dead letter holds the header and the row as CSV, a file that can be
// fixed and imported again. Cells are read raw (never through Excel's
// display formats): a number is its stored text, a date its serial number,
// which the time column turns into China time.
func (im *importer) runXLSX(ctx context.Context, r io.Reader) error {
	wb, err := excelize.OpenReader(r, excelize.Options{RawCellValue: true, UnzipSizeLimit: maxWorkbookBytes})
	if err != nil {
		return fmt.Errorf("file: %w: %v", ErrBadWorkbook, err)
	}
	defer wb.Close()
	sheets := wb.GetSheetList()
	if len(sheets) == 0 {
		return fmt.Errorf("file: %w: it has no sheet", ErrBadWorkbook)
	}
	rows, err := wb.Rows(sheets[0])
	if err != nil {
		return fmt.Errorf("file: %w: sheet %q: %v", ErrBadWorkbook, sheets[0], err)
	}
	defer rows.Close()
	var dec *csvDecoder
	timeCol := -1
	for num := 1; rows.Next(); num++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("file: stopped before row %d: %w", num, err)
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return fmt.Errorf("file: %w: sheet %q row %d: %v", ErrBadWorkbook, sheets[0], num, err)
		}
		cells = trimTrailingBlanks(cells)
		if len(cells) == 0 {
			continue
		}
		if dec == nil {
			header := csvLine(cells)
			if dec, err = newCSVDecoder(header); err != nil {
				return err
			}
			im.csvHeader = append(header, '\n')
			im.sum.Kind = dec.kind().name
			timeCol = slices.Index(dec.header, "occurred_at")
			continue
		}
		if timeCol >= 0 && timeCol < len(cells) {
			cells[timeCol] = excelTime(cells[timeCol])
		}
		for len(cells) < len(dec.header) {
			cells = append(cells, "") // Excel leaves empty trailing cells out
		}
		line := csvLine(cells)
		if len(line) > maxLineBytes {
			if err := im.row(ctx, dec, num, line[:maxLineBytes], true); err != nil {
				return err
			}
			continue
		}
		if err := im.row(ctx, dec, num, line, false); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return fmt.Errorf("file: %w: sheet %q: %v", ErrBadWorkbook, sheets[0], err)
	}
	return im.flush(ctx)
}

func trimTrailingBlanks(cells []string) []string {
	for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
		cells = cells[:len(cells)-1]
	}
	return cells
}

// csvLine writes cells as one CSV line, without its line end.
func csvLine(cells []string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(cells) // a bytes.Buffer does not fail
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// excelSerial is a cell's raw date: days since 1899-12-30, a fraction for
// the time of day.
var excelSerial = regexp.MustCompile(`^[0-9]{1,7}(\.[0-9]{1,20})?$`)

// excelEpoch is day 0 of Excel's 1900 date system, as China time: a serial
// in a Chinese office's workbook is the wall-clock time there.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, domain.ChinaTime)

// excelTime turns a date cell's serial number into "YYYY-MM-DD HH:MM:SS"
// China time, rounded to the second; any other text is left as it is (a
// time typed as text is read like a CSV's). The fraction is exact
// (math/big), never a float64.
func excelTime(v string) string {
	v = strings.TrimSpace(v)
	if !excelSerial.MatchString(v) {
		return v
	}
	serial, ok := new(big.Rat).SetString(v)
	if !ok {
		return v
	}
	seconds := new(big.Rat).Mul(serial, big.NewRat(86400, 1))
	// Round half up to whole seconds: Excel stores 10:00 as 0.41666666666666669.
	whole := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(seconds.Num(), big.NewInt(2)), seconds.Denom()),
		new(big.Int).Mul(seconds.Denom(), big.NewInt(2)))
	days, secs := new(big.Int).QuoRem(whole, big.NewInt(86400), new(big.Int))
	return excelEpoch.AddDate(0, 0, int(days.Int64())).Add(time.Duration(secs.Int64()) * time.Second).Format(time.DateTime)
}
