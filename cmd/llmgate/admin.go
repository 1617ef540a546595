package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider/registry"
	ratememory "github.com/llmgate/llmgate/ratelimit/memory"
)

// admin is what an admin command runs with: the store settings, the opened database and an
// App on it — the same operations the HTTP API calls, acting as app.CLIActor.
type admin struct {
	s    settings
	ctx  context.Context
	deps *deps
	app  *app.App
	// writer is the App's audit writer, closed before deps.
	writer *audit.Writer
	out    io.Writer
	// errOut takes messages for the operator that scripts reading stdout must not see.
	errOut io.Writer
}

// adminOpts say how an admin command uses the database.
type adminOpts struct {
	// writes: the command changes state, so the running server is told to reload after it.
	writes bool
}

// adminCommand gives cmd the store settings and a RunE that opens the database, runs fn and
// closes it. fn's errors are printed as "llmgate <command>: message" with exit 1.
//
// The data directory is found as serve finds it (see resolveDataDir); a command refuses to
// create a new database there unless --init, and when it fails it removes whatever files it
// created, so a failed command leaves nothing behind.
func adminCommand(cmd *cobra.Command, o adminOpts, fn func(a *admin, args []string) error) *cobra.Command {
	a := &admin{}
	var init bool
	a.s.bind(cmd.Flags(), scopeStore)
	cmd.Flags().BoolVar(&init, "init", false, "create a new database (and master key) if the data directory has none")
	cmd.Flags().SortFlags = false
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if err := a.s.validate(); err != nil {
			return usageError(c, err)
		}
		a.ctx, a.out, a.errOut = c.Context(), c.OutOrStdout(), c.ErrOrStderr()
		if a.ctx == nil {
			a.ctx = context.Background()
		}
		_, envDir := os.LookupEnv("LLMGATE_DATA_DIR")
		if err := resolveDataDir(&a.s, envDir || c.Flags().Changed("data-dir"), a.errOut); err != nil {
			return failed(c, err)
		}
		if err := requireExisting(&a.s, init); err != nil {
			return failed(c, err)
		}
		undo := undoCreated(&a.s)
		err := a.open()
		if err == nil {
			err = fn(a, args)
			a.writer.Close()
			a.deps.close()
		}
		if err != nil {
			undo()
			return failed(c, err)
		}
		if o.writes {
			notifyServer(&a.s)
		}
		return nil
	}
	return cmd
}

func (a *admin) open() error {
	if a.s.dataDirNeeded() {
		if err := os.MkdirAll(a.s.DataDir, 0o700); err != nil {
			return fmt.Errorf("creating data directory: %w", err)
		}
	}
	d, err := openDeps(a.ctx, &a.s, connect{})
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Admin changes commit their audit event with the change itself; the writer is there so
	// the App has every dependency, and it is closed (flushed) before the store.
	writer := audit.NewWriter(d.store, quiet)
	a.app, err = app.New(a.ctx, app.Options{Store: d.store, Secrets: d.secrets, Providers: registry.Default(),
		Limiter: ratememory.New(), Audit: writer, AuditKeys: d.auditKeys, Log: quiet})
	if err != nil {
		writer.Close()
		d.close()
		return err
	}
	a.deps = d
	a.writer = writer
	return nil
}

// user finds a user by user name or id.
func (a *admin) user(ref string) (*gateway.User, error) {
	if ref == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "a user name is required")
	}
	snap := a.app.Snapshot()
	if u := snap.UserByName(ref); u != nil {
		return u, nil
	}
	if u := snap.User(ref); u != nil {
		return u, nil
	}
	return nil, gateway.Errorf(gateway.CodeNotFound, "no user named %q (see 'llmgate users list')", ref)
}

// org finds an organization by name or id.
func (a *admin) org(ref string) (*gateway.Org, error) {
	snap := a.app.Snapshot()
	if o := snap.OrgByName(ref); o != nil {
		return o, nil
	}
	if o := snap.Org(ref); o != nil {
		return o, nil
	}
	return nil, gateway.Errorf(gateway.CodeNotFound, "no organization named %q (see 'llmgate orgs list')", ref)
}

// output is the --output flag of the read commands: an aligned table for people, JSON for
// scripts.
type output struct{ format string }

func (o *output) bind(c *cobra.Command) {
	c.Flags().VarP(enumValue(&o.format, "table", "json"), "output", "o", "output format: table or json")
	o.format = "table"
	c.Flags().Lookup("output").DefValue = "table"
}

// print writes v as JSON, or header and rows as a table.
func (o *output) print(w io.Writer, v any, header []string, rows [][]string) error {
	if o.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if header != nil {
		fmt.Fprintln(tw, strings.Join(header, "\t"))
	}
	for _, r := range rows {
		for i := range r {
			if r[i] == "" {
				r[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// fields prints "name: value" lines (a show command's table form).
func (o *output) fields(w io.Writer, v any, pairs [][2]string) error {
	if o.format == "json" {
		return o.print(w, v, nil, nil)
	}
	rows := make([][]string, len(pairs))
	for i, p := range pairs {
		rows[i] = []string{p[0] + ":", p[1]}
	}
	return o.print(w, v, nil, rows)
}
