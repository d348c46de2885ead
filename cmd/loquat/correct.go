package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// correctFlags are what every correction takes.
type correctFlags struct {
	operator, reason, amount string
	lf                       logFlags
	sf                       storeFlags
}

func newCorrectCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "correct",
		Short: "Void or amend an imported order line or income record, or resolve a conflict",
		Long: `Appends a correction to the event log: it names the original, the operator and the reason,
and the projector applies it on top of what it corrects — nothing is edited in place, and a
rebuild gives the same answer. Every figure (overview, households, villages, enterprises,
statements) moves by exactly the corrected amount once the projector ('loquat serve' or
'loquat project') has applied it; GET /api/v1/corrections lists what was corrected.

The target is checked against the read model first: a line never paid, an unknown income
record or conflict, or a conflict already resolved is refused (exit 1) and nothing is
appended. When the data dir has accounts, --operator must be an enabled district_admin
account and the correction is written to the access log; without accounts the correction
event itself is the record of who made it.`,
	}
	var cf correctFlags
	lineArgs := cobra.ExactArgs(3)
	cmd.AddCommand(
		correctSub(g, &cf, "void-line PLATFORM ORDER_ID LINE_ID", "Take an order line's money out of every figure", lineArgs, domain.CorrectVoid, lineTarget),
		correctSub(g, &cf, "amend-line PLATFORM ORDER_ID LINE_ID --amount YUAN", "Replace an order line's paid amount", lineArgs, domain.CorrectAmend, lineTarget),
		correctSub(g, &cf, "void-income INCOME_ID", "Take an income record out of every figure", cobra.ExactArgs(1), domain.CorrectVoid, incomeTarget),
		correctSub(g, &cf, "amend-income INCOME_ID --amount YUAN", "Replace an income record's amount", cobra.ExactArgs(1), domain.CorrectAmend, incomeTarget),
		correctSub(g, &cf, "accept-conflict CONFLICT_ID", "Count a conflict's rejected version instead of the kept one", cobra.ExactArgs(1), domain.CorrectAcceptConflict, conflictTarget),
		correctSub(g, &cf, "keep-conflict CONFLICT_ID", "Confirm a conflict's kept version: the conflict is resolved", cobra.ExactArgs(1), domain.CorrectKeepConflict, conflictTarget),
	)
	return cmd
}

func lineTarget(args []string) domain.CorrectionTarget {
	return domain.CorrectionTarget{Line: &domain.LineKey{Platform: args[0], OrderID: args[1], LineID: args[2]}}
}
func incomeTarget(args []string) domain.CorrectionTarget {
	return domain.CorrectionTarget{IncomeID: args[0]}
}
func conflictTarget(args []string) domain.CorrectionTarget {
	return domain.CorrectionTarget{ConflictID: args[0]}
}

func correctSub(g *globals, cf *correctFlags, use, short string, args cobra.PositionalArgs, action domain.CorrectionAction, target func([]string) domain.CorrectionTarget) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
			e := &domain.CorrectionRecorded{Target: target(args), Action: action, Operator: cf.operator, Reason: cf.reason, At: time.Now().In(domain.ChinaTime)}
			if action == domain.CorrectAmend {
				if cf.amount == "" {
					return errors.New("--amount is required: the amount in yuan, e.g. 12.50")
				}
				fen, err := domain.ParseYuan(cf.amount)
				if err != nil {
					return fmt.Errorf("--amount=%q: %w", cf.amount, err)
				}
				e.AmountFen = fen
			}
			if err := e.Validate(); err != nil {
				return fmt.Errorf("correction refused: %w", err)
			}
			return runCorrection(cmd, g, cf, e)
		},
	}
	if action == domain.CorrectAmend {
		cmd.Flags().StringVar(&cf.amount, "amount", "", "the corrected amount in yuan, e.g. 12.50 (required)")
	}
	// On each subcommand's own flags: the root validates the running
	// command's flag groups (checkFlags), not its parent's.
	cmd.Flags().StringVar(&cf.operator, "operator", "", "the account making the correction (required)")
	cmd.Flags().StringVar(&cf.reason, "reason", "", "why, in words the statement can show (required)")
	cf.lf.register(cmd.Flags())
	cf.sf.register(cmd.Flags())
	return cmd
}

// runCorrection checks the operator and the target, appends the
// correction and records it in the access log.
func runCorrection(cmd *cobra.Command, g *globals, cf *correctFlags, e *domain.CorrectionRecorded) error {
	ctx := cmd.Context()
	accounts, account, err := correctionOperator(ctx, g, e.Operator)
	if err != nil {
		return err
	}
	if accounts != nil {
		defer accounts.Close()
	}
	what, err := checkCorrectionTarget(ctx, g, cf.sf.config(), e)
	if err != nil {
		return err
	}
	log, err := server.OpenLog(g.dataDir, cf.lf.config(), g.logger())
	if err != nil {
		return err
	}
	defer log.Close()
	if err := eventlog.NewWriter(log.Publisher()).Append(ctx, e); err != nil {
		return fmt.Errorf("append the correction: %w", err)
	}
	out := cmd.OutOrStdout()
	amount := ""
	if e.Action == domain.CorrectAmend {
		amount = " to " + e.AmountFen.String() + " yuan"
	}
	fmt.Fprintf(out, "Appended correction %s: %s %s (%s)%s by %s at %s, reason: %s\n", e.ID(), e.Action, e.Target, what, amount,
		e.Operator, e.At.Format(time.RFC3339), e.Reason)
	fmt.Fprintln(out, "The figures move once the projector applies it ('loquat serve' or 'loquat project'); GET /api/v1/corrections lists it.")
	if accounts == nil {
		fmt.Fprintln(out, "No accounts in this data dir: the correction event is the record of who made it (no access log).")
		return nil
	}
	detail := url.Values{"correction": {e.ID()}, "target": {e.Target.String()}, "reason": {e.Reason}}
	if e.Action == domain.CorrectAmend {
		detail.Set("amount_fen", fmt.Sprint(int64(e.AmountFen)))
	}
	if err := accounts.RecordAction(ctx, account, "loquat correct "+string(e.Action), detail.Encode()); err != nil {
		return fmt.Errorf("the correction is appended, but: %w", err)
	}
	return nil
}

// correctionOperator opens the accounts when the data dir has any and
// checks the operator may correct; (nil, _, nil) when there are none.
func correctionOperator(ctx context.Context, g *globals, name string) (*auth.Service, auth.Account, error) {
	if _, err := os.Stat(filepath.Join(g.dataDir, auth.FileName)); err != nil {
		return nil, auth.Account{}, nil
	}
	svc, err := auth.Open(ctx, auth.Config{DataDir: g.dataDir, Logger: g.logger()})
	if err != nil {
		return nil, auth.Account{}, err
	}
	if has, err := svc.HasAccounts(ctx); err != nil || !has {
		svc.Close()
		return nil, auth.Account{}, err
	}
	a, err := svc.Account(ctx, name)
	switch {
	case err != nil:
		err = fmt.Errorf("--operator=%q: %w (see 'loquat users list')", name, err)
	case a.Disabled:
		err = fmt.Errorf("--operator=%q: the account is disabled", name)
	case a.Role != auth.RoleDistrictAdmin:
		err = fmt.Errorf("--operator=%q: a %s may not correct; corrections are for district_admin accounts", name, a.Role)
	}
	if err != nil {
		svc.Close()
		return nil, auth.Account{}, err
	}
	return svc, a, nil
}

// checkCorrectionTarget looks the target up in the read model and
// describes it; an unknown target, a void line or a resolved conflict is
// an error.
func checkCorrectionTarget(ctx context.Context, g *globals, cfg server.StoreConfig, e *domain.CorrectionRecorded) (string, error) {
	if cfg.Backend == "" || cfg.Backend == "sqlite" {
		if _, err := os.Stat(server.ReadModelPath(g.dataDir)); err != nil {
			return "", fmt.Errorf("no read model in %s to check the target against (%w): run 'loquat serve' or 'loquat rebuild' first", g.dataDir, err)
		}
	}
	store, err := server.OpenStore(ctx, g.dataDir, cfg)
	if err != nil {
		return "", err
	}
	defer store.Close()
	const caughtUp = " in the read model (if it was just imported, let the projector catch up: 'loquat serve' or 'loquat project')"
	t := e.Target
	switch {
	case t.Line != nil:
		states, err := store.LoadLines(ctx, []projections.OrderRef{{Platform: t.Line.Platform, OrderID: t.Line.OrderID}})
		if err != nil {
			return "", err
		}
		for _, st := range states {
			if st.Key.LineID != t.Line.LineID || st.Payment == nil {
				continue
			}
			pay, _, _ := st.Effective()
			if pay == nil && e.Action == domain.CorrectVoid {
				return "", fmt.Errorf("line %s/%s/%s is already void", t.Line.Platform, t.Line.OrderID, t.Line.LineID)
			}
			if pay == nil {
				return "void line", nil
			}
			return fmt.Sprintf("paid %s yuan at %s", pay.AmountFen, pay.PaidAt.In(domain.ChinaTime).Format(time.RFC3339)), nil
		}
		return "", fmt.Errorf("no paid line %s/%s/%s%s", t.Line.Platform, t.Line.OrderID, t.Line.LineID, caughtUp)
	case t.IncomeID != "":
		known, err := store.KnownIncome(ctx, []string{t.IncomeID})
		if err != nil {
			return "", err
		}
		in, ok := known[t.IncomeID]
		if !ok {
			return "", fmt.Errorf("no income record %s%s", t.IncomeID, caughtUp)
		}
		return fmt.Sprintf("%s %s yuan to %s from %s, voucher %s", in.Kind, in.AmountFen, in.HouseholdID, in.EnterpriseID, in.Reference), nil
	default:
		all, err := readConflictsFrom(ctx, &projections.Queries{Store: store})
		if err != nil {
			return "", err
		}
		for _, c := range all {
			if c.ID != t.ConflictID {
				continue
			}
			if r := c.Resolution; r != nil {
				return "", fmt.Errorf("conflict %s was resolved by %s (%s) at %s", c.ID, r.ResolvedBy, r.Action, r.ResolvedAt.Format(time.RFC3339))
			}
			return fmt.Sprintf("%s conflict on %s", c.Kind, c.Key), nil
		}
		return "", fmt.Errorf("no conflict %s%s", t.ConflictID, caughtUp)
	}
}
