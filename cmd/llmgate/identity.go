package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
)

func usersCommand() *cobra.Command {
	return group("users", "Create, inspect, deactivate and reactivate users, and make administrators", usersCreate(), usersList(), usersShow(),
		usersSetActive(false), usersSetActive(true), usersSetAdmin())
}

func usersCreate() *cobra.Command {
	var in app.NewUser
	c := &cobra.Command{Use: "create --username NAME", Short: "Create a user (prints its id)", Args: cobra.NoArgs,
		Example: "  llmgate users create --username ann --email ann@example.org\n  llmgate keys create --username ann"}
	c.Flags().StringVar(&in.UserName, "username", "", "login name (required)")
	c.Flags().StringVar(&in.Email, "email", "", "email address")
	c.Flags().StringVar(&in.FirstName, "first-name", "", "first name")
	c.Flags().StringVar(&in.LastName, "last-name", "", "last name")
	c.Flags().BoolVar(&in.Admin, "admin", false, "make the user an admin")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		if in.UserName == "" {
			return gateway.Errorf(gateway.CodeInvalid, "--username is required")
		}
		u, err := a.app.CreateUser(a.ctx, app.CLIActor, in)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.out, u.ID)
		return nil
	})
}

func usersList() *cobra.Command {
	var o output
	c := &cobra.Command{Use: "list", Short: "List users", Args: cobra.NoArgs}
	o.bind(c)
	return adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		users := a.app.Snapshot().Users()
		rows := make([][]string, len(users))
		for i, u := range users {
			rows[i] = []string{u.ID, u.UserName, u.Email, u.FullName(), yesNo(u.Admin), when(u.CreatedAt)}
		}
		return o.print(a.out, users, []string{"ID", "USERNAME", "EMAIL", "NAME", "ADMIN", "CREATED"}, rows)
	})
}

func usersShow() *cobra.Command {
	var o output
	c := &cobra.Command{Use: "show USERNAME|ID", Short: "Show a user, its organizations and API keys", Args: cobra.ExactArgs(1)}
	o.bind(c)
	return adminCommand(c, adminOpts{}, func(a *admin, args []string) error {
		u, err := a.user(args[0])
		if err != nil {
			return err
		}
		snap := a.app.Snapshot()
		var orgs []string
		for _, id := range snap.OrgsOf(u.ID) {
			if org := snap.Org(id); org != nil {
				orgs = append(orgs, org.Name)
			}
		}
		keys, err := a.deps.store.ListKeys(a.ctx, u.ID)
		if err != nil {
			return err
		}
		active := 0
		for i := range keys {
			if keys[i].Active(gateway.Now()) {
				active++
			}
		}
		v := struct {
			*gateway.User
			Organizations []string `json:"organizations"`
			ActiveKeys    int      `json:"activeKeys"`
		}{u, orgs, active}
		return o.fields(a.out, v, [][2]string{
			{"id", u.ID}, {"username", u.UserName}, {"email", u.Email}, {"name", u.FullName()},
			{"admin", yesNo(u.Admin)}, {"created", when(u.CreatedAt)},
			{"organizations", strings.Join(orgs, ", ")}, {"active keys", strconv.Itoa(active) + " (see 'llmgate keys list --username " + u.UserName + "')"},
		})
	})
}

func keysCommand() *cobra.Command {
	return group("keys", "Create, list and revoke API keys", keysCreate(), keysList(), keysRevoke())
}

func keysCreate() *cobra.Command {
	var username, name, expires string
	c := &cobra.Command{Use: "create --username NAME", Short: "Create an API key (printed once on stdout)", Args: cobra.NoArgs}
	c.Flags().StringVar(&username, "username", "", "owner of the key (required)")
	c.Flags().StringVar(&name, "name", "", "a label for the key")
	c.Flags().StringVar(&expires, "expires", "", "lifetime, e.g. 90d, 12h (default: never)")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		if username == "" {
			return gateway.Errorf(gateway.CodeInvalid, "--username is required")
		}
		u, err := a.user(username)
		if err != nil {
			return err
		}
		d, err := app.ParseExpiry(expires)
		if err != nil {
			return err
		}
		key, k, err := a.app.CreateKey(a.ctx, app.CLIActor, u.ID, name, d, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(a.errOut, "key id: %s (shown once below; store it now)\n", k.ID)
		fmt.Fprintln(a.out, key)
		return nil
	})
}

// keyRow is one line of `keys list`.
type keyRow struct {
	ID        string     `json:"id"`
	Owner     string     `json:"owner"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	CreatedAt time.Time  `json:"createdAt"`
	LastUsed  *time.Time `json:"lastUsedAt"`
	ExpiresAt *time.Time `json:"expiresAt"`
	Status    string     `json:"status"`
}

func keysList() *cobra.Command {
	var o output
	var username string
	var all bool
	c := &cobra.Command{Use: "list", Short: "List API keys: owner, name, created, last used, expiry", Args: cobra.NoArgs,
		Long: "List API keys with their owner, name, creation time, last use (from the audit trail) and expiry.\nRevoked and expired keys are listed with --all."}
	c.Flags().StringVar(&username, "username", "", "only this user's keys (default: every user's)")
	c.Flags().BoolVar(&all, "all", false, "include revoked and expired keys")
	o.bind(c)
	return adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		users := a.app.Snapshot().Users()
		if username != "" {
			u, err := a.user(username)
			if err != nil {
				return err
			}
			users = []*gateway.User{u}
		}
		rows, err := a.keyRows(users, all)
		if err != nil {
			return err
		}
		table := make([][]string, len(rows))
		for i, r := range rows {
			table[i] = []string{r.ID, r.Owner, r.Name, r.Prefix + "…", when(r.CreatedAt), whenPtr(r.LastUsed, "never"), whenPtr(r.ExpiresAt, "never"), r.Status}
		}
		return o.print(a.out, rows, []string{"ID", "OWNER", "NAME", "PREFIX", "CREATED", "LAST USED", "EXPIRES", "STATUS"}, table)
	})
}

func (a *admin) keyRows(users []*gateway.User, all bool) ([]keyRow, error) {
	lastUsed, err := a.keysLastUsed(users)
	if err != nil {
		return nil, err
	}
	now := gateway.Now()
	var rows []keyRow
	for _, u := range users {
		keys, err := a.deps.store.ListKeys(a.ctx, u.ID)
		if err != nil {
			return nil, err
		}
		for i := range keys {
			k := &keys[i]
			status := "active"
			switch {
			case k.RevokedAt != nil:
				status = "revoked"
			case !k.Active(now):
				status = "expired"
			}
			if status != "active" && !all {
				continue
			}
			r := keyRow{ID: k.ID, Owner: u.UserName, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, Status: status}
			if t, ok := lastUsed[k.ID]; ok {
				r.LastUsed = &t
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// keysLastUsed reads the last use of each key from the access events of users and from the
// uses serving processes recorded (KeyUseStore), whichever is later.
func (a *admin) keysLastUsed(users []*gateway.User) (map[string]time.Time, error) {
	f := gateway.AuditFilter{Kinds: []string{gateway.KindAccessEndpoint}}
	for _, u := range users {
		f.Usernames = append(f.Usernames, u.UserName)
	}
	last := map[string]time.Time{}
	err := audit.Each(a.ctx, a.deps.store, f, func(ev *gateway.AuditEvent) error {
		if id := ev.Metadata["apiKeyId"]; id != "" && ev.Timestamp.After(last[id]) {
			last[id] = ev.Timestamp
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The uses servers recorded cover what retention pruned from the trail.
	stored, err := a.deps.store.KeysLastUsed(a.ctx)
	if err != nil {
		return nil, err
	}
	for id, t := range stored {
		if t.After(last[id]) {
			last[id] = t
		}
	}
	return last, nil
}

func keysRevoke() *cobra.Command {
	c := &cobra.Command{Use: "revoke KEY_ID", Short: "Revoke an API key (ids: 'llmgate keys list')", Args: cobra.ExactArgs(1)}
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, args []string) error {
		if err := a.app.RevokeKey(a.ctx, app.CLIActor, args[0]); err != nil {
			return err
		}
		fmt.Fprintln(a.out, "revoked", args[0])
		return nil
	})
}

func orgsCommand() *cobra.Command {
	return group("orgs", "Create, inspect, rename and delete organizations and manage their members", orgsCreate(), orgsList(), orgsShow(),
		orgsAddMember(), orgsRemoveMember(), orgsSetRole(), orgsRename(), orgsDelete())
}

func orgsCreate() *cobra.Command {
	var name string
	c := &cobra.Command{Use: "create --name NAME", Short: "Create an organization (prints its id)", Args: cobra.NoArgs}
	c.Flags().StringVar(&name, "name", "", "organization name (required)")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		o, err := a.app.CreateOrg(a.ctx, app.CLIActor, name, nil)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.out, o.ID)
		return nil
	})
}

func orgsList() *cobra.Command {
	var o output
	c := &cobra.Command{Use: "list", Short: "List organizations", Args: cobra.NoArgs}
	o.bind(c)
	return adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		var orgs []*gateway.Org
		var rows [][]string
		st, err := a.deps.store.LoadState(a.ctx)
		if err != nil {
			return err
		}
		for i := range st.Orgs {
			org := &st.Orgs[i]
			orgs = append(orgs, org)
			rows = append(rows, []string{org.ID, org.Name, strconv.Itoa(len(org.Members)), when(org.CreatedAt)})
		}
		return o.print(a.out, orgs, []string{"ID", "NAME", "MEMBERS", "CREATED"}, rows)
	})
}

func orgsShow() *cobra.Command {
	var o output
	c := &cobra.Command{Use: "show NAME|ID", Short: "Show an organization and its members", Args: cobra.ExactArgs(1)}
	o.bind(c)
	return adminCommand(c, adminOpts{}, func(a *admin, args []string) error {
		org, err := a.org(args[0])
		if err != nil {
			return err
		}
		snap := a.app.Snapshot()
		var members []string
		for _, m := range org.Members {
			name := m.UserID
			if u := snap.User(m.UserID); u != nil {
				name = u.UserName
			}
			members = append(members, name+" ("+string(m.Role)+")")
		}
		return o.fields(a.out, org, [][2]string{
			{"id", org.ID}, {"name", org.Name}, {"created", when(org.CreatedAt)}, {"members", strings.Join(members, ", ")},
		})
	})
}

func orgsAddMember() *cobra.Command {
	var name, username, role string
	c := &cobra.Command{Use: "add-member --name ORG --username USER", Short: "Add a user to an organization", Args: cobra.NoArgs}
	c.Flags().StringVar(&name, "name", "", "organization name (required)")
	c.Flags().StringVar(&username, "username", "", "user to add (required)")
	c.Flags().Var(enumValue(&role, "member", "admin"), "role", "member or admin")
	role = "member"
	c.Flags().Lookup("role").DefValue = "member"
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		o, err := a.org(name)
		if err != nil {
			return err
		}
		u, err := a.user(username)
		if err != nil {
			return err
		}
		if err := a.app.SetOrgMember(a.ctx, app.CLIActor, o.ID, gateway.OrgMember{UserID: u.ID, Role: gateway.OrgRole(role)}); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "added %s to %s\n", u.UserName, o.Name)
		return nil
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func whenPtr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return when(*t)
}
