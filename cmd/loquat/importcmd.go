package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/file"
	"github.com/loquat-dev/loquat/internal/server"
)

// maxRejectionsShown bounds the rejected rows import prints; the rest are
// counted (all are in the dead letters).
const maxRejectionsShown = 20

func newImportCommand(g *globals) *cobra.Command {
	var format, encoding string
	var batch int
	var lf logFlags
	var af acceptFlags
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a CSV, JSONL or xlsx file of orders, refunds or income records",
		Long: `Imports the 832 platform's exports, offline sales and enterprises' payment ledgers
(see ingest/file/README.md for the columns, their Chinese names and the times read). Bad rows
are kept as dead letters with the reason and never stop the import; each is printed (the
first 20) and the command exits 1 if any row was rejected, or if the file has no rows.
Income for a household or enterprise the registry does not hold is rejected: load the
registry first. Importing a file twice counts it once, so an import that was interrupted
can simply be run again. A corrected file (same ids, other amounts or times)
does not replace what was imported: its changed rows are conflicts, which the projector
rejects and 'loquat conflicts' lists; the first versions keep counting.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			opts := file.Options{
				// The base name: the same file imported as a/x.csv and ./a/x.csv
				// is the same source, and so gives the same dead-letter ids.
				Source:    "file:" + filepath.Base(path),
				BatchSize: batch,
				Format:    file.Format(format),
			}
			if opts.Format == file.FormatAuto {
				opts.Format = file.FormatFromName(path)
			}
			var err error
			if opts.Encoding, err = ingest.ParseEncoding(encoding); err != nil {
				return fmt.Errorf("--encoding: %w", err)
			}
			window, err := af.window()
			if err != nil {
				return err
			}
			if err := opts.Validate(); err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("open import file: %w", err)
			}
			defer f.Close()
			info, err := f.Stat()
			if err != nil {
				return err
			}
			reg, err := readRegistry(cmd.Context(), g.dataDir, lf.config())
			if err != nil {
				return err
			}
			log, err := server.OpenLog(g.dataDir, lf.config(), g.logger())
			if err != nil {
				return err
			}
			defer log.Close()
			rejected := &rejections{}
			guard, err := ingest.NewGuard(eventlog.NewWriter(log.Publisher()), ingest.GuardConfig{Source: opts.Source, Window: window, Registry: reg})
			if err != nil {
				return err
			}
			opts.Check = guard.Check

			bar := progressbar.NewOptions64(info.Size(),
				progressbar.OptionSetDescription("importing "+path),
				progressbar.OptionSetWriter(cmd.ErrOrStderr()),
				progressbar.OptionShowBytes(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
			opts.Progress = func(n int64) { bar.Set64(n) }
			start := time.Now()
			sum, err := file.Import(cmd.Context(), f, info.Size(), opts, rejected.wrap(guard))
			bar.Finish()
			if err != nil {
				if isWholeFileRefusal(err) {
					return fmt.Errorf("import %s: %w", path, err)
				}
				return fmt.Errorf("import %s stopped after %d rows (%d events appended, %d rejected): %w; run the import again to finish it — rows already appended are not counted twice",
					path, sum.Rows, sum.Events, sum.Rejected, err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Imported %s (%s): %d rows, %d events appended, %d duplicates, %d rejected in %s.\n",
				path, kindOr(sum.Kind), sum.Rows, sum.Events, sum.Duplicates, sum.Rejected, time.Since(start).Round(time.Millisecond))
			// Whether a row repeats an id already in the log with other
			// content is decided by the projector, which may run later or
			// elsewhere: say where the answer will be.
			fmt.Fprintln(out, "A row that repeats an imported id with other content does not replace it: the projector rejects it as a conflict, listed by 'loquat conflicts' (GET /api/v1/conflicts).")
			if sum.Rejected > 0 {
				rejected.print(out, sum.Rejected)
				return fmt.Errorf("%d of %d rows of %s rejected (kept in GET /api/v1/dead-letters, source %s:<line>): fix them and import the file again", sum.Rejected, sum.Rows, path, opts.Source)
			}
			if sum.Rows == 0 {
				return fmt.Errorf("%s has no rows: nothing imported (is it the right file?)", path)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "csv, jsonl or xlsx (default: from the file name, else detected)")
	cmd.Flags().StringVar(&encoding, "encoding", "utf-8", "text encoding of a CSV or JSONL file: utf-8 or gb18030 (also for gbk, gb2312); a file that is not UTF-8 is refused unless declared")
	cmd.Flags().IntVar(&batch, "batch", 1000, "events per append")
	lf.register(cmd.Flags())
	af.register(cmd.Flags())
	return cmd
}

// readRegistry replays the registry from the log, which income rows are
// checked against. It reads through a log handle of its own whose logger
// is silent: the subscriber logs an ERROR for the read it is told to stop
// once the registry's end is reached, which is no error here (failures
// are returned).
func readRegistry(ctx context.Context, dataDir string, cfg server.LogConfig) (*domain.Registry, error) {
	log, err := server.OpenLog(dataDir, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	return eventlog.ReadRegistry(ctx, log)
}

func kindOr(kind string) string {
	if kind == "" {
		return "kind unknown"
	}
	return kind
}

// isWholeFileRefusal reports the errors that refuse a file before any of
// it is imported, which running the import again will not fix.
func isWholeFileRefusal(err error) bool {
	return errors.Is(err, file.ErrBadHeader) || errors.Is(err, ingest.ErrEncoding) || errors.Is(err, file.ErrBadWorkbook)
}

// rejections keeps the reasons of the first rejected rows, for printing.
type rejections struct {
	mu      sync.Mutex
	reasons []string
}

func (r *rejections) wrap(sink ingest.Sink) ingest.Sink { return &recordingSink{Sink: sink, r: r} }

func (r *rejections) print(w io.Writer, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(w, "Rejected rows:")
	for _, reason := range r.reasons {
		fmt.Fprintln(w, "  "+reason)
	}
	if more := total - len(r.reasons); more > 0 {
		fmt.Fprintf(w, "  ... and %d more\n", more)
	}
}

// recordingSink notes each dead letter's reason on its way to the sink.
type recordingSink struct {
	ingest.Sink
	r *rejections
}

func (s *recordingSink) DeadLetter(ctx context.Context, dl domain.DeadLetter) error {
	if err := s.Sink.DeadLetter(ctx, dl); err != nil {
		return err
	}
	s.r.mu.Lock()
	if len(s.r.reasons) < maxRejectionsShown {
		s.r.reasons = append(s.r.reasons, dl.Reason)
	}
	s.r.mu.Unlock()
	return nil
}

// acceptFlags set the window of plausible business times, for import and
// for the nodes that ingest (serve, ingest).
type acceptFlags struct {
	from string
	skew time.Duration
}

func (f *acceptFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.from, "accept-from", envOr("LOQUAT_ACCEPT_FROM", domain.Day(domain.DefaultAcceptFrom)),
		"earliest business time accepted, a China-time date YYYY-MM-DD; earlier orders, refunds and income are dead-lettered (env LOQUAT_ACCEPT_FROM)")
	skew := domain.DefaultAcceptSkew
	if v, err := time.ParseDuration(envOr("LOQUAT_ACCEPT_SKEW", "")); err == nil {
		skew = v
	}
	fs.DurationVar(&f.skew, "accept-skew", skew, "how far after now a business time may lie; later ones are dead-lettered (env LOQUAT_ACCEPT_SKEW)")
}

func (f *acceptFlags) window() (domain.AcceptWindow, error) {
	from, err := domain.ParseDay(f.from)
	if err != nil {
		return domain.AcceptWindow{}, fmt.Errorf("--accept-from: %w", err)
	}
	if f.skew <= 0 {
		return domain.AcceptWindow{}, fmt.Errorf("--accept-skew=%s: must be more than 0 (default %s)", f.skew, domain.DefaultAcceptSkew)
	}
	return domain.AcceptWindow{From: from, Skew: f.skew}, nil
}
