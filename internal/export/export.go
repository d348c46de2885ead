// Package export writes a list's rows as a spreadsheet: CSV (UTF-8 with a
// byte-order mark, so Excel opens it as UTF-8) or Excel .xlsx (excelize's
// StreamWriter). The columns come from the row type's JSON fields, so an
// export has the fields the JSON API answers, under Chinese headers, with
// every _fen amount in yuan: an exact "1234.56" string in CSV, a number
// cell shown with two decimals in .xlsx.
//
// Rows are written as they come: a Sheet keeps one row in memory (CSV) or
// at most excelize's StreamChunkSize of sheet XML before it spills to a
// temporary file (.xlsx), however many rows there are.
package export

import (
	"errors"
	"fmt"
	"io"
	"reflect"
)

// Format is an export's file format.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat checks a format=… value.
func ParseFormat(v string) (Format, error) {
	switch Format(v) {
	case CSV, XLSX:
		return Format(v), nil
	}
	return "", fmt.Errorf("is not an export format: give csv or xlsx")
}

// ContentType is the format's media type.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Sheet writes rows of one struct type. It is not safe for concurrent use.
type Sheet struct {
	rowType reflect.Type
	cols    []column
	enc     encoder
	closed  bool
}

// encoder is one file format's writer: a header, then rows of cells.
type encoder interface {
	header(cols []column) error
	row(cols []column, v reflect.Value) error
	close() error
	discard()
}

// NewSheet starts a sheet of rows of rowType (a struct, or a pointer to
// one) on w. An .xlsx sheet writes to w only on Close (the file is a zip
// whose directory comes last); a CSV sheet writes as rows come.
func NewSheet(w io.Writer, f Format, rowType reflect.Type) (*Sheet, error) {
	if rowType.Kind() == reflect.Pointer {
		rowType = rowType.Elem()
	}
	if rowType.Kind() != reflect.Struct {
		return nil, fmt.Errorf("export: rows of %s are not structs", rowType)
	}
	s := &Sheet{rowType: rowType, cols: columnsOf(rowType)}
	switch f {
	case CSV:
		s.enc = newCSV(w)
	case XLSX:
		enc, err := newXLSX(w)
		if err != nil {
			return nil, err
		}
		s.enc = enc
	default:
		return nil, fmt.Errorf("export: unknown format %q", f)
	}
	if err := s.enc.header(s.cols); err != nil {
		s.enc.close()
		return nil, err
	}
	return s, nil
}

// Headers are the sheet's column headers, in order.
func (s *Sheet) Headers() []string {
	out := make([]string, len(s.cols))
	for i, c := range s.cols {
		out[i] = c.header
	}
	return out
}

// Write writes one row; row must be of the sheet's row type.
func (s *Sheet) Write(row any) error {
	if s.closed {
		return errors.New("export: write on a closed sheet")
	}
	v := reflect.ValueOf(row)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Type() != s.rowType {
		return fmt.Errorf("export: a %s row in a sheet of %s", v.Type(), s.rowType)
	}
	return s.enc.row(s.cols, v)
}

// Close finishes the file (for .xlsx, writes all of it). Calling it twice
// is safe.
func (s *Sheet) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.enc.close()
}

// Discard ends the sheet without finishing its file: after an error, an
// .xlsx sheet has written nothing, so the caller can still answer with an
// error; a CSV sheet stops where it was.
func (s *Sheet) Discard() {
	if s.closed {
		return
	}
	s.closed = true
	s.enc.discard()
}

// WriteAll writes a whole slice of rows (a list answer's Items) and closes
// the sheet's file. items must be a slice of structs.
func WriteAll(w io.Writer, f Format, items any) error {
	v := reflect.ValueOf(items)
	if v.Kind() != reflect.Slice {
		return fmt.Errorf("export: %T is not a slice of rows", items)
	}
	s, err := NewSheet(w, f, v.Type().Elem())
	if err != nil {
		return err
	}
	for i := range v.Len() {
		if err := s.enc.row(s.cols, v.Index(i)); err != nil {
			s.Discard()
			return err
		}
	}
	return s.Close()
}
