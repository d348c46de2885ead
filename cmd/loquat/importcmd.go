package main

import (
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest/file"
	"github.com/loquat-dev/loquat/internal/server"
)

func newImportCommand(g *globals) *cobra.Command {
	var format string
	var batch int
	var lf logFlags
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a CSV or JSONL file of orders, refunds or income records",
		Long: `Imports the 832 platform's exports, offline sales and enterprises' payment ledgers
(see ingest/file/README.md for the columns). Bad rows are kept as dead letters with the
reason and never stop the import. Importing a file twice counts it once, so an import that
was interrupted can simply be run again. A corrected file (same ids, other amounts or times)
does not replace what was imported: its changed rows are conflicts, which the projector
rejects and 'loquat conflicts' lists; the first versions keep counting.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("open import file: %w", err)
			}
			defer f.Close()
			info, err := f.Stat()
			if err != nil {
				return err
			}
			log, err := server.OpenLog(g.dataDir, lf.config(), g.logger())
			if err != nil {
				return err
			}
			defer log.Close()

			bar := progressbar.NewOptions64(info.Size(),
				progressbar.OptionSetDescription("importing "+path),
				progressbar.OptionSetWriter(cmd.ErrOrStderr()),
				progressbar.OptionShowBytes(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
			opts := file.Options{
				Source:    "file:" + path,
				BatchSize: batch,
				Format:    file.Format(format),
				Progress:  func(n int64) { bar.Set64(n) },
			}
			if opts.Format == file.FormatAuto {
				opts.Format = file.FormatFromName(path)
			}
			start := time.Now()
			sum, err := file.Import(cmd.Context(), f, info.Size(), opts, eventlog.NewWriter(log.Publisher()))
			bar.Finish()
			if err != nil {
				return fmt.Errorf("import %s stopped after %d rows (%d events appended, %d rejected): %w; run the import again to finish it — rows already appended are not counted twice",
					path, sum.Rows, sum.Events, sum.Rejected, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Imported %s (%s): %d rows, %d events appended, %d rejected (see GET /api/v1/dead-letters) in %s.\n",
				path, sum.Kind, sum.Rows, sum.Events, sum.Rejected, time.Since(start).Round(time.Millisecond))
			// Whether a row repeats an id already in the log with other
			// content is decided by the projector, which may run later or
			// elsewhere: say where the answer will be.
			fmt.Fprintln(cmd.OutOrStdout(), "A row that repeats an imported id with other content does not replace it: the projector rejects it as a conflict, listed by 'loquat conflicts' (GET /api/v1/conflicts).")
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "csv or jsonl (default: from the file name, else detected)")
	cmd.Flags().IntVar(&batch, "batch", 1000, "events per append")
	lf.register(cmd.Flags())
	return cmd
}
