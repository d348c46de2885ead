// Package file imports CSV and JSONL files — the 832 platform's exports,
// offline sales and enterprises' payment ledgers — as domain events. See
// README.md for the formats and what each row becomes.
package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
)

// Summary counts what one Import did. Rows are the non-blank lines after the
// CSV header (every non-blank line in JSONL); each became an event or was
// rejected, so Rows == Events + Rejected once Import returns nil.
type Summary struct {
	Rows     int
	Events   int    // events appended to the sink
	Rejected int    // rows sent to the sink's dead letters
	Kind     string // KindOrders, KindIncome, or "" if no row told
}

// decoder turns one data line into a record of the file's kind.
type decoder interface {
	decode(line []byte) (record, problems)
	// kind is nil while unknown (JSONL before its first identifying object).
	kind() *kind
}

// Import reads r, appends its rows' events to sink in batches of
// opts.BatchSize in file order, and dead-letters every row that cannot be
// parsed or validated. Bad rows never stop the import; an error is returned
// only for reading failures, sink failures, cancellation and a CSV header
// that is not one of ours (ErrBadHeader). Re-importing a file is safe: event
// ids derive from the rows, so the log counts each once. size is the number
// of bytes the caller expects (a file's size), or <= 0 if unknown; reading
// fewer is io.ErrUnexpectedEOF, since the file was cut short.
func Import(ctx context.Context, r io.Reader, size int64, opts Options, sink ingest.Sink) (Summary, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return Summary{}, fmt.Errorf("file: %w", err)
	}
	if sink == nil {
		return Summary{}, errors.New("file: nil sink")
	}
	counter := &countingReader{r: r, progress: opts.Progress}
	im := &importer{opts: opts, sink: sink}
	err := im.run(ctx, newLineReader(counter))
	if err == nil && size > 0 && counter.n < size {
		err = fmt.Errorf("file: read %d of %d bytes: %w", counter.n, size, io.ErrUnexpectedEOF)
	}
	return im.sum, err
}

type importer struct {
	opts     Options
	sink     ingest.Sink
	sum      Summary
	batch    []domain.Event
	lastLine int // line of the last event in batch, for errors
	// csvHeader is the CSV header line, newline-terminated; nil for JSONL.
	csvHeader []byte
}

func (im *importer) run(ctx context.Context, lines *lineReader) error {
	var dec decoder
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("file: stopped before line %d: %w", lines.num+1, err)
		}
		line, tooLong, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("file: read line %d: %w", lines.num+1, err)
		}
		if isBlank(line) {
			continue
		}
		if dec == nil {
			if dec, err = im.start(line, tooLong); err != nil {
				return err
			}
			if _, isCSV := dec.(*csvDecoder); isCSV {
				continue // the header
			}
		}
		if err := im.row(ctx, dec, lines.num, line, tooLong); err != nil {
			return err
		}
	}
	return im.flush(ctx)
}

// start picks the decoder from the first non-blank line.
func (im *importer) start(first []byte, tooLong bool) (decoder, error) {
	f := im.opts.Format
	if f == FormatAuto {
		f = FormatCSV
		if bytes.TrimSpace(first)[0] == '{' {
			f = FormatJSONL
		}
	}
	if f == FormatJSONL {
		return &jsonlDecoder{}, nil
	}
	if tooLong {
		return nil, headerError(string(first), fmt.Sprintf("the first line is longer than %d bytes", maxLineBytes))
	}
	d, err := newCSVDecoder(first)
	if err != nil {
		return nil, err
	}
	// A CSV row's columns are in the header's order: a dead letter keeps the
	// header with the row, so it can be fixed and imported as a file of its own.
	im.csvHeader = append(bytes.TrimRight(append([]byte(nil), first...), "\r"), '\n')
	im.sum.Kind = d.kind().name
	return d, nil
}

func (im *importer) row(ctx context.Context, dec decoder, num int, line []byte, tooLong bool) error {
	im.sum.Rows++
	if tooLong {
		return im.reject(ctx, num, line, problems{fmt.Sprintf("longer than %d bytes (only those are kept)", maxLineBytes)})
	}
	ev, p := decodeEvent(dec, line)
	if im.sum.Kind == "" && dec.kind() != nil {
		im.sum.Kind = dec.kind().name
	}
	if len(p) > 0 {
		return im.reject(ctx, num, line, p)
	}
	im.batch = append(im.batch, ev)
	im.lastLine = num
	if len(im.batch) >= im.opts.BatchSize {
		return im.flush(ctx)
	}
	return nil
}

func decodeEvent(dec decoder, line []byte) (domain.Event, problems) {
	r, p := dec.decode(line)
	if len(p) > 0 {
		return nil, p
	}
	ev, p := dec.kind().build(r)
	if len(p) > 0 {
		return nil, p
	}
	// The parsers above catch what they know; Validate is the domain's word.
	if err := ev.Validate(); err != nil {
		return nil, problems{fmt.Sprintf("%s: %s", ev.Type(), strings.ReplaceAll(err.Error(), "\n", "; "))}
	}
	return ev, nil
}

func (im *importer) reject(ctx context.Context, num int, line []byte, p problems) error {
	reason := fmt.Sprintf("line %d: %s", num, strings.Join(p, "; "))
	raw := line
	if im.csvHeader != nil {
		raw = append(append([]byte(nil), im.csvHeader...), line...)
	}
	dl := domain.NewDeadLetter(im.opts.Source+":"+strconv.Itoa(num), reason, raw, im.opts.Now())
	if err := im.sink.DeadLetter(ctx, dl); err != nil {
		return fmt.Errorf("file: dead-letter line %d: %w", num, err)
	}
	im.sum.Rejected++
	return nil
}

func (im *importer) flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file: stopped before appending %d events up to line %d: %w", len(im.batch), im.lastLine, err)
	}
	if err := im.sink.Append(ctx, im.batch...); err != nil {
		return fmt.Errorf("file: append %d events up to line %d: %w", len(im.batch), im.lastLine, err)
	}
	im.sum.Events += len(im.batch)
	im.batch = nil // a new slice: the sink may keep the one it was given
	return nil
}
