package file

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
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
)

// FormatFromName returns the format a file name's extension announces (.csv;
// .jsonl or .ndjson), or FormatAuto. Import cannot see the name, so the CLI
// calls this to honour the extension.
func FormatFromName(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".jsonl", ".ndjson":
		return FormatJSONL
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
	// Format is the file's encoding. Default FormatAuto (detected from the
	// first non-blank byte; see FormatFromName for extensions).
	Format Format
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
}

// Validate reports every problem with the options at once. Zero values are
// valid: they select the defaults.
func (o *Options) Validate() error {
	var errs []error
	if o.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("batch size is %d, must be positive (0 selects %d)", o.BatchSize, defaultBatchSize))
	}
	switch o.Format {
	case FormatAuto, FormatCSV, FormatJSONL:
	default:
		errs = append(errs, fmt.Errorf("format %q is not %q or %q (empty detects it)", o.Format, FormatCSV, FormatJSONL))
	}
	return errors.Join(errs...)
}
