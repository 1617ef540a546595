package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/mlflowimport"
	"github.com/llmgate/llmgate/secrets/local"
)

func auditCommand() *cobra.Command {
	return group("audit", "Export and verify the tamper-evident audit trail; rotate its chain key", auditExport(), auditVerify(), auditRotateKey())
}

// parseWhen accepts RFC 3339 or a duration ago ("24h", "7d").
func parseWhen(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if d, err := app.ParseExpiry(s); err == nil && d > 0 {
		return gateway.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--%s %q: use RFC 3339 (2026-05-01T00:00:00Z) or a duration ago like 24h or 7d", flag, s)
}

// auditQuery is the filter flags of audit export.
type auditQuery struct {
	users, endpoints, kinds, outcomes []string
	since, until, format              string
}

// check refuses filter values that can match nothing, listing the valid ones.
func (q *auditQuery) check() error {
	for _, k := range q.kinds {
		if !slices.Contains(gateway.AuditKinds, k) {
			return fmt.Errorf("--kind %q is not an event kind; valid kinds: %s", k, strings.Join(gateway.AuditKinds, ", "))
		}
	}
	for _, o := range q.outcomes {
		if !slices.Contains(gateway.AccessOutcomes, o) {
			return fmt.Errorf("--outcome %q is not an access outcome; valid outcomes: %s", o, strings.Join(gateway.AccessOutcomes, ", "))
		}
	}
	return nil
}

func auditExport() *cobra.Command {
	var q auditQuery
	c := &cobra.Command{Use: "export", Short: "Export audit events as JSON lines or CSV", Args: cobra.NoArgs,
		Example: "  llmgate audit export --since 24h --user ann --kind AccessGatewayEndpoint --outcome upstream_error"}
	fs := c.Flags()
	fs.StringSliceVar(&q.users, "user", nil, "only events by these user names (repeatable, comma-separated)")
	fs.StringSliceVar(&q.endpoints, "endpoint", nil, "only events of these endpoint names or ids (repeatable)")
	fs.StringSliceVar(&q.kinds, "kind", nil, "only these event kinds: "+strings.Join(gateway.AuditKinds, ", "))
	fs.StringSliceVar(&q.outcomes, "outcome", nil, "only access events with these outcomes: "+strings.Join(gateway.AccessOutcomes, ", "))
	fs.StringVar(&q.since, "since", "", "start time, RFC 3339 or a duration ago (24h, 7d)")
	fs.StringVar(&q.until, "until", "", "end time, RFC 3339 or a duration ago")
	fs.Var(enumValue(&q.format, "jsonl", "csv"), "format", "jsonl or csv")
	q.format = "jsonl"
	fs.Lookup("format").DefValue = "jsonl"
	cmd := adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		f, err := a.auditFilter(&q)
		if err != nil {
			return err
		}
		return exportAudit(a, f, &q)
	})
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error { // bad filters are usage errors
		if err := q.check(); err != nil {
			return usageError(c, err)
		}
		for _, t := range []struct{ flag, v string }{{"since", q.since}, {"until", q.until}} {
			if _, err := parseWhen(t.flag, t.v); err != nil {
				return usageError(c, err)
			}
		}
		return run(c, args)
	}
	return cmd
}

// exportAudit streams the selected events to stdout page by page, buffered: constant memory
// however long the trail. --outcome (a metadata field the stores do not index) is applied
// while streaming, on both CSV passes.
func exportAudit(a *admin, f gateway.AuditFilter, q *auditQuery) error {
	bw := bufio.NewWriterSize(a.out, 64<<10)
	var keep func(*gateway.AuditEvent) bool
	if len(q.outcomes) > 0 {
		keep = func(ev *gateway.AuditEvent) bool { return slices.Contains(q.outcomes, ev.Metadata["outcome"]) }
	}
	if err := audit.ExportWhere(a.ctx, a.deps.store, f, q.format, keep, bw); err != nil {
		return err
	}
	return bw.Flush()
}

func (a *admin) auditFilter(q *auditQuery) (gateway.AuditFilter, error) {
	f := gateway.AuditFilter{Usernames: q.users, Kinds: q.kinds}
	var err error
	if f.Since, err = parseWhen("since", q.since); err != nil {
		return f, err
	}
	if f.Until, err = parseWhen("until", q.until); err != nil {
		return f, err
	}
	for _, e := range q.endpoints {
		if gateway.ValidID(e) {
			f.EndpointIDs = append(f.EndpointIDs, e)
			continue
		}
		f.EndpointNames = append(f.EndpointNames, e)
		if ep := a.app.Snapshot().Endpoint(e); ep != nil { // renamed endpoints: match by id too
			f.EndpointIDs = append(f.EndpointIDs, ep.ID)
		}
	}
	return f, nil
}

// errAlreadyReported fails a command whose output already said why.
var errAlreadyReported = errors.New("")

func importMLflowCommand() *cobra.Command {
	var everyone bool
	var users, orgs []string
	c := &cobra.Command{Use: "import-mlflow FILE", Short: "Create endpoints from an MLflow AI Gateway YAML config", Args: cobra.ExactArgs(1),
		Long: `Create endpoints from an MLflow AI Gateway (2.x routes or 3.x endpoints) YAML config.
$VAR credentials are read from the environment and stored in the secret store.

The created endpoints are usable by admins only unless granted here (--grant-everyone,
--grant-user, --grant-org) or later with 'llmgate endpoints update NAME --everyone' or
PATCH /api/aigateway/v1/endpoints/{name}/permissions.`}
	c.Flags().BoolVar(&everyone, "grant-everyone", false, "let every user use the created endpoints")
	c.Flags().StringSliceVar(&users, "grant-user", nil, "let these users use the created endpoints (repeatable)")
	c.Flags().StringSliceVar(&orgs, "grant-org", nil, "let these organizations' members use the created endpoints (repeatable)")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, args []string) error {
		perms := gateway.Permissions{IsEveryoneAllowed: everyone, UserIDs: []string{}}
		for _, u := range users {
			user, err := a.user(u)
			if err != nil {
				return err
			}
			perms.UserIDs = append(perms.UserIDs, user.ID)
		}
		for _, o := range orgs {
			org, err := a.org(o)
			if err != nil {
				return err
			}
			perms.OrganizationIDs = append(perms.OrganizationIDs, org.ID)
		}
		raw, err := os.ReadFile(args[0])
		if err != nil {
			return gateway.Errorf(gateway.CodeInvalid, "cannot read %s: %s", args[0], errors.Unwrap(err))
		}
		created, err := mlflowimport.ImportGranting(a.ctx, a.app, app.CLIActor, raw, os.LookupEnv, perms)
		if err != nil {
			return err
		}
		usable := who(a, perms)
		for _, name := range created {
			fmt.Fprintf(a.out, "created endpoint %s (usable by %s)\n", name, usable)
		}
		if usable == "admins only" && len(created) > 0 {
			fmt.Fprintln(a.errOut, "note: only admins can use these endpoints; grant others with --grant-everyone/--grant-user/--grant-org, or 'llmgate endpoints update NAME --everyone'")
		}
		return nil
	})
}

func secretsCommand() *cobra.Command {
	c := &cobra.Command{Use: "rotate-master-key", Short: "Re-wrap every stored secret under a new master key (--secrets local)", Args: cobra.NoArgs}
	return group("secrets", "Manage the local secret store", adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		if a.deps.keyring == nil {
			return gateway.Errorf(gateway.CodeInvalid, "master key rotation applies to --secrets local; Vault manages its own keys")
		}
		n, err := local.Rotate(a.ctx, a.deps.store, a.deps.keyring)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.out, "master key rotated; %d secrets re-wrapped\n", n)
		return nil
	}))
}
