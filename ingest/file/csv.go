package file

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ErrBadHeader is wrapped by the error Import returns when a CSV file's first
// line is not the orders or the income header. It is a whole-file problem:
// nothing is imported, and retrying will not help.
var ErrBadHeader = errors.New("unknown CSV header")

// csvDecoder reads one physical line at a time with encoding/csv. A record
// never spans lines: a quoted field holding a newline is rejected (see README).
type csvDecoder struct {
	k      *kind
	header []string
	feed   lineFeed
	r      *csv.Reader
}

// lineFeed hands csv.Reader one line at a time, each ending in '\n', so the
// reader never reads past the line it is given; an unclosed quote meets EOF,
// which csv.Reader reports as ErrQuote. One reader is reused for every line
// instead of allocating a new one (and its buffer) per row.
type lineFeed struct{ buf, rest []byte }

func (f *lineFeed) set(line []byte) {
	f.buf = append(append(f.buf[:0], line...), '\n')
	f.rest = f.buf
}

func (f *lineFeed) Read(p []byte) (int, error) {
	if len(f.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.rest)
	f.rest = f.rest[n:]
	return n, nil
}

func newCSVDecoder(headerLine []byte) (*csvDecoder, error) {
	d := &csvDecoder{}
	d.r = csv.NewReader(&d.feed)
	d.r.FieldsPerRecord = -1 // a row with the wrong count is a bad row, not a fatal error
	names, err := d.split(headerLine)
	if err != nil {
		return nil, headerError(string(headerLine), err.Error())
	}
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	if d.k, d.header, err = matchHeader(names); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *csvDecoder) kind() *kind { return d.k }

func (d *csvDecoder) decode(line []byte) (record, problems) {
	fields, err := d.split(line)
	if err != nil {
		return nil, problems{err.Error()}
	}
	if len(fields) != len(d.header) {
		return nil, problems{fmt.Sprintf("has %d fields, the header has %d", len(fields), len(d.header))}
	}
	r := make(record, len(fields))
	for i, name := range d.header {
		r[name] = fields[i]
	}
	return r, nil
}

func (d *csvDecoder) split(line []byte) ([]string, error) {
	if bytes.Count(line, []byte{'"'})%2 == 1 {
		return nil, errors.New("unbalanced quotes: a quoted field must end on its line (fields with embedded newlines are not supported)")
	}
	d.feed.set(line)
	fields, err := d.r.Read()
	if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
		return nil, fmt.Errorf("bad CSV at byte %d: %w", pe.Column, pe.Err)
	}
	return fields, err
}

// matchHeader finds the kind whose columns the header names exactly (in any
// order, each by its name or one of the kind's other names for it) and
// returns the columns in the header's order; otherwise the error lists what
// is wrong against the closest kind and every kind's columns.
func matchHeader(header []string) (*kind, []string, error) {
	var closest []string
	best := -1
	for _, k := range kinds {
		var wrong []string
		score := 0
		names := make([]string, len(header))
		for i, n := range header {
			names[i] = k.column(n)
		}
		for i, n := range names {
			switch {
			case !k.known(n):
				wrong = append(wrong, fmt.Sprintf("unknown column %q", n))
			case slices.Contains(names[:i], n):
				wrong = append(wrong, fmt.Sprintf("column %q repeats", n))
			default:
				score++
			}
		}
		for _, n := range k.required {
			if !slices.Contains(names, n) {
				wrong = append(wrong, fmt.Sprintf("missing column %q", n))
			}
		}
		if len(wrong) == 0 {
			return k, names, nil
		}
		if score > best {
			best, closest = score, wrong
		}
	}
	return nil, nil, headerError(strings.Join(header, ","), strings.Join(closest, "; "))
}

// headerError quotes at most the first 200 bytes of the header: the first
// line of a file that is not ours can be anything.
func headerError(header, problem string) error {
	if len(header) > 200 {
		header = header[:200] + "..."
	}
	return fmt.Errorf("file: %w %q: %s; want the orders columns %s or the income columns %s, in any order, names exact (or their Chinese names, see ingest/file/README.md)",
		ErrBadHeader, header, problem, ordersKind.columnsText(), incomeKind.columnsText())
}
