package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// usersSetAdmin is `llmgate users set-admin --username U --admin=true|false`.
func usersSetAdmin() *cobra.Command {
	var userName string
	var makeAdmin bool
	c := &cobra.Command{Use: "set-admin --username NAME --admin=true|false",
		Short: "Make a user an administrator, or take that away (never from the last active one)", Args: cobra.NoArgs}
	c.Flags().StringVar(&userName, "username", "", "login name of the user (required)")
	c.Flags().BoolVar(&makeAdmin, "admin", true, "true: administrator; false: ordinary user")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		u, err := a.user(userName)
		if err != nil {
			return err
		}
		if _, err := a.app.SetUserAdmin(a.ctx, app.CLIActor, u.ID, makeAdmin); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "%s admin=%t\n", u.UserName, makeAdmin)
		return nil
	})
}

// orgsRename is `llmgate orgs rename --name OLD --to NEW`.
func orgsRename() *cobra.Command {
	var name, to string
	c := &cobra.Command{Use: "rename --name ORG --to NEW", Short: "Rename an organization (members and grants stay)", Args: cobra.NoArgs}
	c.Flags().StringVar(&name, "name", "", "current name or id (required)")
	c.Flags().StringVar(&to, "to", "", "new name (required)")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		o, err := a.org(name)
		if err != nil {
			return err
		}
		renamed, err := a.app.RenameOrg(a.ctx, app.CLIActor, o.ID, to)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.out, "renamed %s to %s\n", o.Name, renamed.Name)
		return nil
	})
}

// orgsDelete is `llmgate orgs delete --name ORG`.
func orgsDelete() *cobra.Command {
	var name string
	c := &cobra.Command{Use: "delete --name ORG",
		Short: "Delete an organization: its members lose what it granted, endpoints stop naming it", Args: cobra.NoArgs}
	c.Flags().StringVar(&name, "name", "", "name or id (required)")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		o, err := a.org(name)
		if err != nil {
			return err
		}
		if err := a.app.DeleteOrg(a.ctx, app.CLIActor, o.ID); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "deleted %s\n", o.Name)
		return nil
	})
}

// orgsRemoveMember is `llmgate orgs remove-member --name ORG --username USER`.
func orgsRemoveMember() *cobra.Command {
	var name, userName string
	c := &cobra.Command{Use: "remove-member --name ORG --username USER", Short: "Remove a user from an organization", Args: cobra.NoArgs}
	c.Flags().StringVar(&name, "name", "", "organization name or id (required)")
	c.Flags().StringVar(&userName, "username", "", "user to remove (required)")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		o, err := a.org(name)
		if err != nil {
			return err
		}
		u, err := a.user(userName)
		if err != nil {
			return err
		}
		if err := a.app.RemoveOrgMember(a.ctx, app.CLIActor, o.ID, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "removed %s from %s\n", u.UserName, o.Name)
		return nil
	})
}

// orgsSetRole is `llmgate orgs set-role --name ORG --username USER --role admin|member`: it
// changes the role of an existing member (add-member adds one).
func orgsSetRole() *cobra.Command {
	var name, userName, role string
	c := &cobra.Command{Use: "set-role --name ORG --username USER --role admin|member",
		Short: "Change a member's role in an organization (audited as ChangeOrganizationMemberRole)", Args: cobra.NoArgs}
	c.Flags().StringVar(&name, "name", "", "organization name or id (required)")
	c.Flags().StringVar(&userName, "username", "", "the member (required)")
	c.Flags().Var(enumValue(&role, "member", "admin"), "role", "member or admin (required)")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		if role == "" {
			return gateway.Errorf(gateway.CodeInvalid, "--role is required: admin or member")
		}
		o, err := a.org(name)
		if err != nil {
			return err
		}
		u, err := a.user(userName)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(o.Members, func(m gateway.OrgMember) bool { return m.UserID == u.ID }) {
			return gateway.Errorf(gateway.CodeNotFound, "%s is not a member of %s (add it with 'llmgate orgs add-member')", u.UserName, o.Name)
		}
		if err := a.app.SetOrgMember(a.ctx, app.CLIActor, o.ID, gateway.OrgMember{UserID: u.ID, Role: gateway.OrgRole(role)}); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "%s is %s of %s\n", u.UserName, role, o.Name)
		return nil
	})
}
