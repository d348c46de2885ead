package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// conflictsPage is how many conflicts the command reads per query.
const conflictsPage = 1000

// errConflictsOpen is the command's outcome when conflicts are listed: a
// non-zero exit, as for any command after which something stays rejected.
var errConflictsOpen = errors.New("conflicts are open")

func newConflictsCommand(g *globals) *cobra.Command {
	var sf storeFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "conflicts",
		Short: "List rejected versions of orders, refunds and income records (same id, other content)",
		Long: `Lists every conflict in the read model: an order line, refund or income record that arrived
again under the same id with other content (another amount, SKU, time, line). The first version
counts; the later one is rejected and kept here beside it until the source is corrected. One line
per conflict, newest first: when it was found, kind, key, and the fields that differ with both
values; --json prints both versions in full, as GET /api/v1/conflicts does. A conflict resolved
with 'loquat correct accept-conflict' or 'keep-conflict' says by whom and when.

The list is the read model's: events imported while no projector runs ('loquat serve' or
'loquat project') are checked when it next runs. Exits 1 when any conflict is open (not resolved), 0 when none.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := sf.config()
			if cfg.Backend == "" || cfg.Backend == "sqlite" {
				if _, err := os.Stat(server.ReadModelPath(g.dataDir)); err != nil {
					return fmt.Errorf("no read model in %s (%w): run 'loquat serve' or 'loquat rebuild' on this data dir first, or pass --data-dir", g.dataDir, err)
				}
			}
			store, err := server.OpenStore(cmd.Context(), g.dataDir, cfg)
			if err != nil {
				return err
			}
			defer store.Close()
			all, err := readConflicts(cmd, &projections.Queries{Store: store})
			if err != nil {
				return err
			}
			if err := printConflicts(cmd.OutOrStdout(), all, asJSON); err != nil {
				return err
			}
			open := 0
			for _, c := range all {
				if c.Resolution == nil {
					open++
				}
			}
			if open > 0 {
				return fmt.Errorf("%d %w: the first version of each still counts and the later one is rejected; correct the source or resolve each with 'loquat correct accept-conflict|keep-conflict ID', and see --json or GET /api/v1/conflicts for both versions in full",
					open, errConflictsOpen)
			}
			return nil
		},
	}
	sf.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"items":[...],"total":N} with both versions in full`)
	return cmd
}

// readConflicts reads every conflict, page by page.
func readConflicts(cmd *cobra.Command, q *projections.Queries) ([]domain.Conflict, error) {
	return readConflictsFrom(cmd.Context(), q)
}

func readConflictsFrom(ctx context.Context, q *projections.Queries) ([]domain.Conflict, error) {
	var all []domain.Conflict
	for {
		page, err := q.Conflicts(ctx, projections.Paging{Limit: conflictsPage, Offset: len(all)})
		if err != nil {
			return nil, fmt.Errorf("read conflicts: %w", err)
		}
		all = append(all, page.Items...)
		if len(page.Items) == 0 || len(all) >= page.Total {
			return all, nil
		}
	}
}

func printConflicts(w io.Writer, all []domain.Conflict, asJSON bool) error {
	if asJSON {
		if all == nil {
			all = []domain.Conflict{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(projections.Page[domain.Conflict]{Items: all, Total: len(all)})
	}
	if len(all) == 0 {
		_, err := fmt.Fprintln(w, "No conflicts.")
		return err
	}
	for _, c := range all {
		if _, err := fmt.Fprintln(w, conflictLine(c)); err != nil {
			return err
		}
	}
	return nil
}

// conflictLine is one conflict on one line: when, what, and each field
// that differs with the kept and the rejected value, e.g.
//
//	2026-12-07T21:03:05+08:00 payment file file/832-20200502-000117/1: amount_fen kept 26700, rejected 26800; rejected at log 0/5
func conflictLine(c domain.Conflict) string {
	kept, rejected := factFields(c.Kept.Fact), factFields(c.Rejected.Fact)
	diffs := make([]string, 0, len(c.Fields))
	for _, f := range c.Fields {
		diffs = append(diffs, fmt.Sprintf("%s kept %s, rejected %s", f, kept[f], rejected[f]))
	}
	where := ""
	if c.Rejected.LogPosition != "" {
		where = "; rejected at log " + c.Rejected.LogPosition
	}
	if r := c.Resolution; r != nil {
		where += fmt.Sprintf("; resolved (%s) by %s at %s", r.Action, r.ResolvedBy, r.ResolvedAt.In(domain.ChinaTime).Format(time.RFC3339))
	}
	return fmt.Sprintf("%s %s %s %s %s: %s%s", c.DetectedAt.In(domain.ChinaTime).Format(time.RFC3339), c.ID, c.Kind, c.Source, c.Key,
		strings.Join(diffs, "; "), where)
}

// factFields reads a version's fact as its fields' JSON values.
func factFields(fact json.RawMessage) map[string]string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(fact, &m); err != nil {
		return map[string]string{}
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}
