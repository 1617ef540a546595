// Command llmgate is the gateway binary: `llmgate serve` runs it, the other commands
// administer the same database directly (they work while serve runs). This package only
// parses the command line (spf13/cobra, so every command explains itself with -h) and wires
// packages together; the commands are listed in docs/cli.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llmgate/llmgate/gateway"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exitError ends the process with code after its message has been printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run executes one command line. Exit codes: 0 success (and help), 1 the command failed,
// 2 the command line or a setting is wrong.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default: // found by cobra: unknown command or flag, wrong number of arguments
		fmt.Fprintln(stderr, "llmgate:", err)
		fmt.Fprintln(stderr, "Run 'llmgate help' or 'llmgate COMMAND -h' for usage.")
		return 2
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "llmgate",
		Short: "A self-hosted AI gateway",
		Long: `llmgate — a self-hosted AI gateway.

'llmgate serve' runs the gateway; the other commands administer the same database directly
and work while serve runs. Every setting is a flag and an environment variable
(see 'llmgate serve -h' and docs/settings.md).`,
		Version:           version,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetVersionTemplate("llmgate {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError(c, err)
	})
	root.AddCommand(serveCommand(), versionCommand(), usersCommand(), keysCommand(), orgsCommand(),
		endpointsCommand(), auditCommand(), importMLflowCommand(), secretsCommand(), demoCommand(), usageCommand(), budgetsCommand(),
		loginCommand(), scimCommand())
	return root
}

// group is a command that only holds subcommands: alone it shows its help, with an unknown
// word it says so and suggests the nearest subcommand.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "\n\nDid you mean this?\n\t" + s[0]
			}
			return errors.New(msg)
		},
	}
	c.SuggestionsMinimumDistance = 2
	c.AddCommand(subs...)
	return c
}

// usageError prints a command-line or settings error and exits 2.
func usageError(c *cobra.Command, err error) error {
	fmt.Fprintf(c.ErrOrStderr(), "%s: %v\nRun '%s -h' for usage.\n", c.CommandPath(), err, c.CommandPath())
	return exitError{2}
}

// failed prints why a command failed and exits 1.
func failed(c *cobra.Command, err error) error {
	if errors.Is(err, errAlreadyReported) {
		return exitError{1}
	}
	fmt.Fprintf(c.ErrOrStderr(), "%s: %s\n", c.CommandPath(), gateway.ErrorMessage(err))
	if gateway.ErrorCode(err) == gateway.CodeInternal {
		fmt.Fprintln(c.ErrOrStderr(), "  cause:", err)
	}
	return exitError{1}
}

func versionCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "version",
		Short: "Print llmgate's version",
		Args:  cobra.NoArgs,
		Run: func(c *cobra.Command, _ []string) {
			fmt.Fprintln(c.OutOrStdout(), "llmgate", version)
		},
	}
	var s settings // accepted (and ignored) so scripts can pass their settings to every command
	s.bind(c.Flags(), scopeStore)
	c.Flags().VisitAll(func(f *pflag.Flag) { f.Hidden = true })
	return c
}
