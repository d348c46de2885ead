package file

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
)

// Format is the encoding of an import file. Whether it holds orders or income
// is never configured: it is read from the CSV header or the JSONL keys.
type Format string

const (
	// FormatAuto reads JSONL when the first non-blank byte is '{', CSV otherwise.
	FormatAuto Format = ""
	// FormatCSV is comma-separated values with a header line.
	FormatCSV Format = "csv"
	// FormatJSONL is one JSON object per line.
	FormatJSONL Format = "jsonl"
	// FormatXLSX is an Excel workbook: the first sheet, a header row, one
	// row per line (see README.md).
	FormatXLSX Format = "xlsx"
)

// FormatFromName returns the format a file name's extension announces (.csv;
// .jsonl or .ndjson; .xlsx), or FormatAuto. Import cannot see the name, so the CLI
// calls this to honour the extension.
func FormatFromName(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".jsonl", ".ndjson":
		return FormatJSONL
	case ".xlsx":
		return FormatXLSX
	}
	return FormatAuto
}

const (
	defaultSource    = "file"
	defaultBatchSize = 1000
)

// Options configure Import. The zero value is valid: every field has a default.
type Options struct {
	// Source names the input in dead letters: a rejected row's dead letter has
	// source Source+":"+line number, e.g. "file:orders.csv:3". Default "file".
	Source string
	// BatchSize is the number of events per Sink.Append call. Default 1000.
	BatchSize int
	// Format is the file's format. Default FormatAuto (an xlsx workbook by
	// its zip signature, else JSONL or CSV from the first non-blank byte;
	// see FormatFromName for extensions).
	Format Format
	// Encoding is the text encoding of a CSV or JSONL file. Default UTF-8:
	// a file that is not valid UTF-8 is refused whole, its error naming the
	// line and the encoding it probably is (ingest.EncodingError).
	Encoding ingest.Encoding
	// Check, if set, is asked about every event a row gives after the
	// event validated; an error rejects the row with that reason. The CLI
	// passes the ingest.Guard's Check, so a row the guard would refuse is
	// rejected naming its line (the guard still checks every Append).
	Check func(domain.Event) error
	// Progress, if set, is called with the number of bytes read so far each
	// time the reader advances, on the goroutine running Import, so the CLI
	// can draw a progress bar. Default nil: no reports.
	Progress func(bytesRead int64)
	// Now stamps dead letters' ReceivedAt. Default time.Now.
	Now func() time.Time
}

func (o *Options) setDefaults() {
	if o.Source == "" {
		o.Source = defaultSource
	}
	if o.BatchSize == 0 {
		o.BatchSize = defaultBatchSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Encoding == "" {
		o.Encoding = ingest.EncodingUTF8
	}
}

// Validate reports every problem with the options at once. Zero values are
// valid: they select the defaults.
func (o *Options) Validate() error {
	var errs []error
	if o.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("batch size is %d, must be positive (0 selects %d)", o.BatchSize, defaultBatchSize))
	}
	switch o.Format {
	case FormatAuto, FormatCSV, FormatJSONL, FormatXLSX:
	default:
		errs = append(errs, fmt.Errorf("format %q is not %q, %q or %q (empty detects it)", o.Format, FormatCSV, FormatJSONL, FormatXLSX))
	}
	switch o.Encoding {
	case "", ingest.EncodingUTF8, ingest.EncodingGB18030:
	default:
		errs = append(errs, fmt.Errorf("encoding %q is not %q or %q", o.Encoding, ingest.EncodingUTF8, ingest.EncodingGB18030))
	}
	return errors.Join(errs...)
}
