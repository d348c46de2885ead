package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/internal/server"
)

// openAccounts opens the accounts database of the data dir.
func openAccounts(ctx context.Context, g *globals) (*auth.Service, error) {
	return auth.Open(ctx, auth.Config{DataDir: g.dataDir, Logger: g.logger()})
}

// readPassword takes one line from r (--password-stdin) or, without it,
// generates a password and says so.
func readPassword(cmd *cobra.Command, fromStdin bool) (pw string, generated bool, err error) {
	if !fromStdin {
		return auth.GeneratePassword(), true, nil
	}
	line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read the password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

func newUsersCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage the accounts and API tokens that may read the API",
		Long: `Accounts live in accounts.db in --data-dir, beside the read model, on the node that serves the API.
Roles: district_admin, district_staff, enterprise (--enterprise ID), village (--village ID), auditor.
A running server sees changes at once: a disabled account or a revoked token fails on its next request.`,
	}
	cmd.AddCommand(newUsersAddCommand(g), newUsersListCommand(g), newUsersDisableCommand(g),
		newUsersPasswdCommand(g), newUsersTokenCommand(g))
	return cmd
}

func newUsersAddCommand(g *globals) *cobra.Command {
	var role, enterprise, village string
	var fromStdin bool
	var lf logFlags
	cmd := &cobra.Command{
		Use:   "add NAME --role ROLE",
		Short: "Create an account (prints a generated password unless --password-stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := auth.ParseRole(role)
			if err != nil {
				return err
			}
			if err := checkBoundID(cmd.Context(), g, lf, enterprise, village); err != nil {
				return err
			}
			pw, generated, err := readPassword(cmd, fromStdin)
			if err != nil {
				return err
			}
			svc, err := openAccounts(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer svc.Close()
			if err := svc.AddAccount(cmd.Context(), auth.NewAccount{Name: args[0], Role: r, EnterpriseID: enterprise, VillageID: village, Password: pw}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Added %s (%s).\n", args[0], describeRole(r, enterprise, village))
			if generated {
				fmt.Fprintf(cmd.OutOrStdout(), "password: %s\n", pw)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "district_admin, district_staff, enterprise, village or auditor")
	cmd.Flags().StringVar(&enterprise, "enterprise", "", "the enterprise id an enterprise account is bound to")
	cmd.Flags().StringVar(&village, "village", "", "the village id a village account is bound to")
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of generating one")
	lf.register(cmd.Flags())
	return cmd
}

// checkBoundID refuses an enterprise or village id the loaded registry does
// not have. With no registry loaded yet it is accepted: the first admin is
// often created before the registry.
func checkBoundID(ctx context.Context, g *globals, lf logFlags, enterprise, village string) error {
	if enterprise == "" && village == "" {
		return nil
	}
	log, err := server.OpenLog(g.dataDir, lf.config(), g.logger())
	if err != nil {
		return err
	}
	defer log.Close()
	reg, err := eventlog.ReadRegistry(ctx, log)
	if err != nil {
		return err
	}
	if len(reg.Villages) == 0 && len(reg.Enterprises) == 0 {
		return nil
	}
	if _, ok := reg.Enterprises[enterprise]; enterprise != "" && !ok {
		return fmt.Errorf("enterprise %q is not in the loaded registry: check the id (loquat registry load adds enterprises)", enterprise)
	}
	if _, ok := reg.Villages[village]; village != "" && !ok {
		return fmt.Errorf("village %q is not in the loaded registry: check the id (loquat registry load adds villages)", village)
	}
	return nil
}

func describeRole(r auth.Role, enterprise, village string) string {
	switch {
	case enterprise != "":
		return string(r) + " of " + enterprise
	case village != "":
		return string(r) + " of " + village
	}
	return string(r)
}

func newUsersListCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the accounts and their tokens (never passwords or token values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := openAccounts(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer svc.Close()
			accounts, err := svc.Accounts(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 8, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tROLE\tSTATE\tTOKENS")
			for _, a := range accounts {
				state := "active"
				if a.Disabled {
					state = "disabled"
				}
				var tokens []string
				for _, t := range a.Tokens {
					s := t.ID + " " + t.Name + " until " + t.ExpiresAt.UTC().Format(time.RFC3339)
					if t.Revoked {
						s += " (revoked)"
					}
					tokens = append(tokens, s)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.Name, describeRole(a.Role, a.EnterpriseID, a.VillageID), state, strings.Join(tokens, "; "))
			}
			return w.Flush()
		},
	}
}

func newUsersDisableCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "disable NAME",
		Short: "Disable an account: its sessions and tokens stop working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := openAccounts(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer svc.Close()
			if err := svc.Disable(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Disabled %s.\n", args[0])
			return nil
		},
	}
}

func newUsersPasswdCommand(g *globals) *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set an account's password (prints a generated one unless --password-stdin); ends its sessions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, generated, err := readPassword(cmd, fromStdin)
			if err != nil {
				return err
			}
			svc, err := openAccounts(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer svc.Close()
			if err := svc.SetPassword(cmd.Context(), args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Set the password of %s.\n", args[0])
			if generated {
				fmt.Fprintf(cmd.OutOrStdout(), "password: %s\n", pw)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of generating one")
	return cmd
}

func newUsersTokenCommand(g *globals) *cobra.Command {
	var name, revoke string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "token NAME | token --revoke TOKEN_ID",
		Short: "Issue an API token for an account (printed once), or revoke one",
		Args: func(cmd *cobra.Command, args []string) error {
			if revoke != "" {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := openAccounts(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer svc.Close()
			if revoke != "" {
				if err := svc.RevokeToken(cmd.Context(), revoke); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Revoked %s.\n", revoke)
				return nil
			}
			token, info, err := svc.IssueToken(cmd.Context(), args[0], name, ttl)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Token %s (%s) for %s, valid until %s. It is shown only now:\n%s\n",
				info.ID, info.Name, args[0], info.ExpiresAt.UTC().Format(time.RFC3339), token)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "api", "what the token is for (shown by 'users list')")
	cmd.Flags().DurationVar(&ttl, "ttl", 90*24*time.Hour, "how long the token is valid")
	cmd.Flags().StringVar(&revoke, "revoke", "", "revoke the token with this id (from 'users list') instead")
	return cmd
}
