package export

import (
	"encoding/csv"
	"io"
	"reflect"
)

// bom makes Excel read the file as UTF-8 (without it, Chinese text opens
// as mojibake in a Chinese-locale Excel, which assumes GBK).
const bom = "\ufeff"

type csvEncoder struct {
	w     io.Writer
	cw    *csv.Writer
	cells []string
}

func newCSV(w io.Writer) *csvEncoder {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180, and what Excel writes
	return &csvEncoder{w: w, cw: cw}
}

func (e *csvEncoder) header(cols []column) error {
	if _, err := io.WriteString(e.w, bom); err != nil {
		return err
	}
	e.cells = make([]string, len(cols))
	for i, c := range cols {
		e.cells[i] = c.header
	}
	return e.cw.Write(e.cells)
}

func (e *csvEncoder) row(cols []column, v reflect.Value) error {
	for i, c := range cols {
		s := c.text(c.field(v))
		if c.kind == cellText || c.kind == cellList {
			s = defuse(s)
		}
		e.cells[i] = s
	}
	// csv.Writer buffers (4 KiB) and writes to e.w as the buffer fills:
	// rows leave as they come.
	return e.cw.Write(e.cells)
}

func (e *csvEncoder) close() error {
	e.cw.Flush()
	return e.cw.Error()
}

// defuse keeps a spreadsheet from running text as a formula (CSV
// injection): a cell that starts with = + - @ or a tab or carriage return
// gets a leading apostrophe, which Excel shows as text. Only text columns
// are defused: amounts and counts are numbers, and "-12.50" must stay one.
// Dead letters' raw bytes and names come from outside, so this matters.
func defuse(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func (e *csvEncoder) discard() { e.cw.Flush() }
