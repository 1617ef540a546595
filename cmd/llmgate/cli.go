package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/mlflowimport"
	"github.com/llmgate/llmgate/provider/registry"
	"github.com/llmgate/llmgate/secrets/local"
)

// adminCommand is the shared shape of the admin CLI commands: settings flags plus the
// command's own, an opened App on the same database as serve, and a reload ping afterwards.
type adminCommand struct {
	name  string
	fs    *flag.FlagSet
	s     settings
	deps  *deps
	app   *app.App
	ctx   context.Context
	close func()
}

func newAdminCommand(name string) *adminCommand {
	c := &adminCommand{name: name, fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	c.s.bind(c.fs)
	return c
}

// open parses args and opens the database. It prints errors itself; ok=false means exit 2/1.
func (c *adminCommand) open(args []string) (code int, ok bool) {
	if err := c.fs.Parse(args); err != nil {
		return 2, false
	}
	if err := c.s.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "llmgate:", err)
		return 2, false
	}
	c.ctx = context.Background()
	d, err := openDeps(c.ctx, &c.s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "llmgate:", err)
		return 1, false
	}
	c.deps = d
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c.app, err = app.New(c.ctx, app.Options{Store: d.store, Secrets: d.secrets, Providers: registry.Default(), Log: quiet})
	if err != nil {
		d.close()
		fmt.Fprintln(os.Stderr, "llmgate:", err)
		return 1, false
	}
	return 0, true
}

func (c *adminCommand) fail(err error) int {
	fmt.Fprintf(os.Stderr, "llmgate %s: %s\n", c.name, gateway.ErrorMessage(err))
	if gateway.ErrorCode(err) == gateway.CodeInternal {
		fmt.Fprintln(os.Stderr, "  cause:", err)
	}
	return 1
}

func (c *adminCommand) done() {
	notifyServer(&c.s)
	c.deps.close()
}

func cmdUsersCreate(args []string) int {
	c := newAdminCommand("users create")
	var in app.NewUser
	c.fs.StringVar(&in.UserName, "username", "", "login name (required)")
	c.fs.StringVar(&in.Email, "email", "", "email address")
	c.fs.StringVar(&in.FirstName, "first-name", "", "first name")
	c.fs.StringVar(&in.LastName, "last-name", "", "last name")
	c.fs.BoolVar(&in.Admin, "admin", false, "make the user an admin")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.done()
	u, err := c.app.CreateUser(c.ctx, app.CLIActor, in)
	if err != nil {
		return c.fail(err)
	}
	fmt.Println(u.ID)
	return 0
}

func (c *adminCommand) userByName(name string) (*gateway.User, error) {
	if name == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "--username is required")
	}
	u := c.app.Snapshot().UserByName(name)
	if u == nil {
		return nil, gateway.Errorf(gateway.CodeNotFound, "no user named %q", name)
	}
	return u, nil
}

func cmdKeysCreate(args []string) int {
	c := newAdminCommand("keys create")
	username := c.fs.String("username", "", "owner of the key (required)")
	name := c.fs.String("name", "", "a label for the key")
	expires := c.fs.String("expires", "", "lifetime, e.g. 90d, 12h (default: never)")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.done()
	u, err := c.userByName(*username)
	if err != nil {
		return c.fail(err)
	}
	d, err := app.ParseExpiry(*expires)
	if err != nil {
		return c.fail(err)
	}
	key, k, err := c.app.CreateKey(c.ctx, app.CLIActor, u.ID, *name, d, "")
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(os.Stderr, "key id: %s (shown once below; store it now)\n", k.ID)
	fmt.Println(key)
	return 0
}

func cmdKeysRevoke(args []string) int {
	c := newAdminCommand("keys revoke")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.done()
	if c.fs.NArg() != 1 {
		return c.fail(gateway.Errorf(gateway.CodeInvalid, "usage: llmgate keys revoke ID"))
	}
	if err := c.app.RevokeKey(c.ctx, app.CLIActor, c.fs.Arg(0)); err != nil {
		return c.fail(err)
	}
	fmt.Println("revoked", c.fs.Arg(0))
	return 0
}

func cmdOrgsCreate(args []string) int {
	c := newAdminCommand("orgs create")
	name := c.fs.String("name", "", "organization name (required)")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.done()
	o, err := c.app.CreateOrg(c.ctx, app.CLIActor, *name, nil)
	if err != nil {
		return c.fail(err)
	}
	fmt.Println(o.ID)
	return 0
}

func cmdOrgsAddMember(args []string) int {
	c := newAdminCommand("orgs add-member")
	name := c.fs.String("name", "", "organization name (required)")
	username := c.fs.String("username", "", "user to add (required)")
	role := c.fs.String("role", "member", "member or admin")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.done()
	o := c.app.Snapshot().OrgByName(*name)
	if o == nil {
		return c.fail(gateway.Errorf(gateway.CodeNotFound, "no organization named %q", *name))
	}
	u, err := c.userByName(*username)
	if err != nil {
		return c.fail(err)
	}
	if err := c.app.SetOrgMember(c.ctx, app.CLIActor, o.ID, gateway.OrgMember{UserID: u.ID, Role: gateway.OrgRole(*role)}); err != nil {
		return c.fail(err)
	}
	fmt.Printf("added %s to %s\n", u.UserName, o.Name)
	return 0
}

// listFlag collects repeated or comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// parseWhen accepts RFC 3339 or a duration ago ("24h", "7d").
func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if d, err := app.ParseExpiry(s); err == nil && d > 0 {
		return gateway.Now().Add(-d), nil
	}
	return time.Time{}, gateway.Errorf(gateway.CodeInvalid, "invalid time %q: use RFC 3339 (2026-05-01T00:00:00Z) or a duration like 24h or 7d", s)
}

func cmdAuditExport(args []string) int {
	c := newAdminCommand("audit export")
	var users, endpoints, kinds listFlag
	c.fs.Var(&users, "user", "only events by these user names (repeatable)")
	c.fs.Var(&endpoints, "endpoint", "only events of these endpoint names or ids (repeatable)")
	c.fs.Var(&kinds, "kind", "only these event kinds (repeatable)")
	since := c.fs.String("since", "", "start time, RFC 3339 or a duration ago (24h, 7d)")
	until := c.fs.String("until", "", "end time, RFC 3339 or a duration ago")
	format := c.fs.String("format", "jsonl", "jsonl or csv")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.deps.close()
	f := gateway.AuditFilter{Usernames: users, Kinds: kinds}
	var err error
	if f.Since, err = parseWhen(*since); err != nil {
		return c.fail(err)
	}
	if f.Until, err = parseWhen(*until); err != nil {
		return c.fail(err)
	}
	for _, e := range endpoints {
		if gateway.ValidID(e) {
			f.EndpointIDs = append(f.EndpointIDs, e)
		} else {
			f.EndpointNames = append(f.EndpointNames, e)
			if ep := c.app.Snapshot().Endpoint(e); ep != nil { // renamed endpoints: match by id too
				f.EndpointIDs = append(f.EndpointIDs, ep.ID)
			}
		}
	}
	if *format != "jsonl" && *format != "csv" {
		return c.fail(gateway.Errorf(gateway.CodeInvalid, "--format must be jsonl or csv"))
	}
	if err := exportAudit(c.ctx, c.deps.store, f, *format, os.Stdout); err != nil {
		return c.fail(err)
	}
	return 0
}

func cmdAuditVerify(args []string) int {
	c := newAdminCommand("audit verify")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.deps.close()
	return auditVerify(c)
}

func cmdImportMLflow(args []string) int {
	c := newAdminCommand("import-mlflow")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.done()
	if c.fs.NArg() != 1 {
		return c.fail(gateway.Errorf(gateway.CodeInvalid, "usage: llmgate import-mlflow FILE"))
	}
	raw, err := os.ReadFile(c.fs.Arg(0))
	if err != nil {
		return c.fail(gateway.Errorf(gateway.CodeInvalid, "cannot read %s: %s", c.fs.Arg(0), errors.Unwrap(err)))
	}
	created, err := mlflowimport.Import(c.ctx, c.app, app.CLIActor, raw, os.LookupEnv)
	if err != nil {
		return c.fail(err)
	}
	for _, name := range created {
		fmt.Println("created endpoint", name)
	}
	return 0
}

func cmdRotateMasterKey(args []string) int {
	c := newAdminCommand("secrets rotate-master-key")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.done()
	if c.deps.keyring == nil {
		return c.fail(gateway.Errorf(gateway.CodeInvalid, "master key rotation applies to --secrets local; Vault manages its own keys"))
	}
	n, err := local.Rotate(c.ctx, c.deps.store, c.deps.keyring)
	if err != nil {
		return c.fail(err)
	}
	fmt.Printf("master key rotated; %d secrets re-wrapped\n", n)
	return 0
}

// exportAudit streams the selected events to out page by page, buffered: constant memory
// however long the trail.
func exportAudit(ctx context.Context, store gateway.Store, f gateway.AuditFilter, format string, out io.Writer) error {
	bw := bufio.NewWriterSize(out, 64<<10)
	var err error
	if format == "csv" {
		err = audit.ExportCSV(ctx, store, f, bw)
	} else {
		err = audit.ExportJSONL(ctx, store, f, bw)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}
