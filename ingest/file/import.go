// Package file imports CSV, JSONL and xlsx files — the 832 platform's exports,
// offline sales and enterprises' payment ledgers — as domain events. See
// README.md for the formats and what each row becomes.
package file

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
)

// Summary counts what one Import did. Rows are the non-blank lines after the
// CSV header (every non-blank line in JSONL; every non-empty row after the
// header row in xlsx); each became an event, was an exact duplicate of an
// earlier row of the file, or was rejected, so Rows == Events + Duplicates +
// Rejected once Import returns nil.
type Summary struct {
	Rows       int
	Events     int    // events appended to the sink
	Duplicates int    // rows giving the same event as an earlier row (same id, same content)
	Rejected   int    // rows sent to the sink's dead letters
	Kind       string // KindOrders, KindIncome, or "" if no row told
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
// only for reading failures, sink failures, cancellation, a header that is
// not one of ours (ErrBadHeader), text that is not in opts.Encoding
// (ingest.ErrEncoding) and a workbook that cannot be read (ErrBadWorkbook).
// Re-importing a file is safe: event ids derive from the rows, so the log
// counts each once. size is the number of bytes the caller expects (a
// file's size), or <= 0 if unknown; reading fewer is io.ErrUnexpectedEOF,
// since the file was cut short.
//
// When r is an io.ReadSeeker (a file), its text is checked whole before
// anything is imported, so a file in the wrong encoding appends nothing;
// from a plain reader, the rows before the first bad line may be appended.
func Import(ctx context.Context, r io.Reader, size int64, opts Options, sink ingest.Sink) (Summary, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return Summary{}, fmt.Errorf("file: %w", err)
	}
	if sink == nil {
		return Summary{}, errors.New("file: nil sink")
	}
	r, format, err := detectFormat(r, opts.Format)
	if err != nil {
		return Summary{}, fmt.Errorf("file: %w", err)
	}
	opts.Format = format
	counter := &countingReader{r: r, progress: opts.Progress}
	im := newImporter(opts, sink)
	if format == FormatXLSX {
		err = im.runXLSX(ctx, counter)
	} else {
		if rs, ok := r.(io.ReadSeeker); ok {
			if err := checkText(rs, opts.Encoding); err != nil {
				return Summary{}, err
			}
		}
		err = im.run(ctx, newLineReader(ingest.TextReader(counter, opts.Encoding)))
	}
	if err == nil && size > 0 && counter.n < size {
		err = fmt.Errorf("file: read %d of %d bytes: %w", counter.n, size, io.ErrUnexpectedEOF)
	}
	return im.sum, err
}

// xlsxSignature starts every zip file, and so every xlsx workbook.
var xlsxSignature = []byte("PK\x03\x04")

// detectFormat tells an xlsx workbook by its first bytes when the format is
// not given; CSV and JSONL are told apart later, by the first line. It
// returns a reader that still yields every byte.
func detectFormat(r io.Reader, f Format) (io.Reader, Format, error) {
	if f != FormatAuto {
		return r, f, nil
	}
	head := make([]byte, len(xlsxSignature))
	if rs, ok := r.(io.ReadSeeker); ok {
		n, err := io.ReadFull(rs, head)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, f, err
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, f, err
		}
		if bytes.Equal(head[:n], xlsxSignature) {
			return rs, FormatXLSX, nil
		}
		return rs, f, nil
	}
	br := bufio.NewReader(r)
	if b, _ := br.Peek(len(xlsxSignature)); bytes.Equal(b, xlsxSignature) {
		return br, FormatXLSX, nil
	}
	return br, f, nil
}

// checkText reads rs through once, checking every line's encoding, and
// rewinds it: a file that is not text in enc is refused before any of its
// rows is appended.
func checkText(rs io.ReadSeeker, enc ingest.Encoding) error {
	lines := newLineReader(ingest.TextReader(rs, enc))
	for {
		line, tooLong, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("file: read line %d: %w", lines.num+1, err)
		}
		if !tooLong {
			if err := ingest.CheckLine(line, lines.num, enc, nil); err != nil {
				return fmt.Errorf("file: nothing imported: %w", err)
			}
		}
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("file: rewind after checking the text: %w", err)
	}
	return nil
}

type importer struct {
	opts     Options
	sink     ingest.Sink
	sum      Summary
	batch    []domain.Event
	lastLine int // line of the last event in batch, for errors
	// csvHeader is the CSV header line, newline-terminated; nil for JSONL.
	csvHeader []byte
	// seen holds a digest of every event of the file by id, to tell an
	// exact duplicate row (counted once) from a new one.
	seen map[string][sha256.Size]byte
	// lines holds what the file paid and refunded per order line, so a
	// refund row beyond the payment of the same file is rejected.
	lines map[domain.LineKey]*lineMoney
}

// lineMoney is one order line's money in this file.
type lineMoney struct {
	paid     domain.Fen
	paidLine int // the row that paid it; 0 if the file holds no payment
	refunded domain.Fen
}

func newImporter(opts Options, sink ingest.Sink) *importer {
	return &importer{opts: opts, sink: sink, seen: map[string][sha256.Size]byte{}, lines: map[domain.LineKey]*lineMoney{}}
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
		if !tooLong {
			if err := ingest.CheckLine(line, lines.num, im.opts.Encoding, nil); err != nil {
				return fmt.Errorf("file: stopped: %w", err)
			}
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
	return im.accept(ctx, num, line, ev, p)
}

// accept takes a decoded row's event, or rejects the row with its problems:
// the caller's Check, then an exact duplicate is counted once, then refunds
// may not exceed what the file paid for the line.
func (im *importer) accept(ctx context.Context, num int, line []byte, ev domain.Event, p problems) error {
	if len(p) == 0 && im.opts.Check != nil {
		if err := im.opts.Check(ev); err != nil {
			p = problems{fmt.Sprintf("%s: %s", ev.Type(), strings.ReplaceAll(err.Error(), "\n", "; "))}
		}
	}
	if len(p) > 0 {
		return im.reject(ctx, num, line, p)
	}
	payload, err := domain.MarshalEvent(ev)
	if err != nil {
		return fmt.Errorf("file: line %d: %w", num, err)
	}
	digest := sha256.Sum256(payload)
	if prev, ok := im.seen[ev.ID()]; ok && prev == digest {
		im.sum.Duplicates++
		return nil
	}
	if problem := im.money(num, ev); problem != "" {
		return im.reject(ctx, num, line, problems{problem})
	}
	im.seen[ev.ID()] = digest
	im.batch = append(im.batch, ev)
	im.lastLine = num
	if len(im.batch) >= im.opts.BatchSize {
		return im.flush(ctx)
	}
	return nil
}

// money records a row's payment or refund per line and returns why a
// refund cannot be: together with the file's earlier refunds of the line it
// would return more than the file paid for it. A refund before the line's
// payment, or of a line paid elsewhere, is not checked here (the projector
// clips it to the payment).
func (im *importer) money(num int, ev domain.Event) string {
	switch e := ev.(type) {
	case *domain.OrderPaid:
		for _, l := range e.Lines {
			m := im.line(domain.LineKey{Platform: e.Platform, OrderID: e.OrderID, LineID: l.LineID})
			if m.paidLine == 0 {
				m.paid, m.paidLine = l.AmountFen, num
			}
		}
	case *domain.RefundSucceeded:
		m := im.line(domain.LineKey{Platform: e.Platform, OrderID: e.OrderID, LineID: e.LineID})
		if m.paidLine > 0 && e.AmountFen > m.paid-m.refunded { // refunded <= paid: no overflow
			return fmt.Sprintf("amount %s: refunds of order %s line %s would total %s yuan, more than the %s paid on line %d",
				e.AmountFen, e.OrderID, e.LineID, m.refunded+e.AmountFen, m.paid, m.paidLine)
		}
		m.refunded += e.AmountFen
	}
	return ""
}

func (im *importer) line(k domain.LineKey) *lineMoney {
	m := im.lines[k]
	if m == nil {
		m = &lineMoney{}
		im.lines[k] = m
	}
	return m
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
