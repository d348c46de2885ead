package export

import (
	"fmt"
	"io"
	"reflect"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// maxSheetRows is an .xlsx sheet's row limit (Excel's); rows beyond it
// continue on another sheet, under the same header.
var maxSheetRows = 1 << 20 // a variable for the test of the next sheet

// sheetName is the first sheet's name; the next are 数据2, 数据3, …
const sheetName = "数据"

type xlsxEncoder struct {
	w         io.Writer
	f         *excelize.File
	sw        *excelize.StreamWriter
	sheets    int
	lastRow   int // the last row written on the current sheet
	yuanStyle int
	headStyle int
	headers   []any
	cells     []any
}

func newXLSX(w io.Writer) (*xlsxEncoder, error) {
	f := excelize.NewFile()
	e := &xlsxEncoder{w: w, f: f}
	var err error
	// Built-in number format 2 is "0.00": yuan with two decimals, as a number.
	if e.yuanStyle, err = f.NewStyle(&excelize.Style{NumFmt: 2}); err != nil {
		f.Close()
		return nil, err
	}
	if e.headStyle, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		f.Close()
		return nil, err
	}
	return e, nil
}

func (e *xlsxEncoder) header(cols []column) error {
	e.headers = make([]any, len(cols))
	for i, c := range cols {
		e.headers[i] = excelize.Cell{StyleID: e.headStyle, Value: c.header}
	}
	e.cells = make([]any, len(cols))
	return e.nextSheet()
}

// nextSheet starts a sheet: its header row, frozen so it stays in view.
func (e *xlsxEncoder) nextSheet() error {
	if e.sw != nil {
		if err := e.sw.Flush(); err != nil {
			return err
		}
	}
	e.sheets++
	name := sheetName
	if e.sheets == 1 {
		if err := e.f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else {
		name += strconv.Itoa(e.sheets)
		if _, err := e.f.NewSheet(name); err != nil {
			return err
		}
	}
	sw, err := e.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	e.sw = sw
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	e.lastRow = 1
	return sw.SetRow("A1", e.headers)
}

func (e *xlsxEncoder) row(cols []column, v reflect.Value) error {
	if e.lastRow == maxSheetRows {
		if err := e.nextSheet(); err != nil {
			return err
		}
	}
	for i, c := range cols {
		f := c.field(v)
		switch c.kind {
		case cellYuan:
			// A float only for the cell's number: fen/100 is the double
			// nearest the exact yuan, and excelize writes its shortest
			// decimal form, which is that exact yuan ("1234.56").
			e.cells[i] = excelize.Cell{StyleID: e.yuanStyle, Value: float64(f.Int()) / 100}
		case cellInt:
			if f.CanInt() {
				e.cells[i] = f.Int()
			} else {
				e.cells[i] = f.Uint()
			}
		case cellFloat:
			e.cells[i] = f.Float()
		default:
			e.cells[i] = c.text(f)
		}
	}
	e.lastRow++
	if err := e.sw.SetRow("A"+strconv.Itoa(e.lastRow), e.cells); err != nil {
		return fmt.Errorf("export: xlsx row %d: %w", e.lastRow, err)
	}
	return nil
}

// close writes the whole file: excelize assembles the zip from the sheet
// XML it spilled to a temporary file, and removes the file.
func (e *xlsxEncoder) close() error {
	defer e.f.Close()
	if e.sw != nil {
		if err := e.sw.Flush(); err != nil {
			return err
		}
	}
	_, err := e.f.WriteTo(e.w)
	return err
}

func (e *xlsxEncoder) discard() { e.f.Close() }
