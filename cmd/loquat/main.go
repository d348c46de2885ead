// Command loquat is Loquat's one binary: serve, import, load the registry,
// rebuild the read model, and run the demo. `loquat --help` lists it all.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/loquat-dev/loquat/internal/gctuning"
)

// globals are the flags every command takes.
type globals struct {
	dataDir  string
	logLevel string
}

// validate checks the global flags; every command runs it first.
func (g *globals) validate() error {
	var errs []error
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level=%q: want debug, info, warn or error", g.logLevel))
	}
	if strings.TrimSpace(g.dataDir) == "" {
		errs = append(errs, errors.New("--data-dir is empty"))
	}
	return errors.Join(errs...)
}

func (g *globals) logger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		level = slog.LevelInfo // validate has refused it already
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func newRootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "loquat",
		Short: "Event-sourced sales tracking for farm produce sold online, attributed to households, villages and enterprises",
		Long: `Loquat takes every order, payment and refund from Douyin, JD, Kuaishou and file exports,
keeps each as an immutable event, attributes every fen to the households, village collectives
and enterprises it belongs to, and serves the figures over an HTTP API.

Start with:  loquat demo`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return errors.Join(g.validate(), checkFlags(cmd.Flags()))
		},
	}
	root.PersistentFlags().StringVar(&g.dataDir, "data-dir", envOr("LOQUAT_DATA_DIR", "./data"), "directory of the event log and read model (env LOQUAT_DATA_DIR)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", envOr("LOQUAT_LOG_LEVEL", "info"), "debug, info, warn or error (env LOQUAT_LOG_LEVEL)")
	root.AddCommand(
		newServeCommand(g),
		newIngestCommand(g),
		newProjectCommand(g),
		newAPICommand(g),
		newRegistryCommand(g),
		newImportCommand(g),
		newRebuildCommand(g),
		newConflictsCommand(g),
		newCorrectCommand(g),
		newDemoCommand(g),
		newBenchCommand(g),
		newUsersCommand(g),
	)
	return root
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	gctuning.Apply()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "loquat:", oneLine(err))
		os.Exit(1)
	}
}

// oneLine puts an error on one line: errors.Join separates the problems it
// joins with newlines, and a failed command says what failed in one line.
func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}
