package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/app"
)

func scimCommand() *cobra.Command {
	return group("scim", "Manage the tokens identity providers use to provision users over SCIM 2.0 (docs/scim.md)",
		group("token", "Create, list and revoke SCIM tokens", scimTokenCreate(), scimTokenList(), scimTokenRevoke()))
}

func scimTokenCreate() *cobra.Command {
	var name string
	c := &cobra.Command{Use: "create --name NAME", Short: "Create a SCIM token (printed once on stdout)", Args: cobra.NoArgs,
		Example: "  llmgate scim token create --name okta"}
	c.Flags().StringVar(&name, "name", "", "a label for the token, e.g. the identity provider (required)")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		token, t, err := a.app.CreateSCIMToken(a.ctx, app.CLIActor, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.errOut, "SCIM token id: %s (shown once below; paste it into the identity provider now)\n", t.ID)
		fmt.Fprintln(a.out, token)
		return nil
	})
}

func scimTokenList() *cobra.Command {
	var o output
	c := &cobra.Command{Use: "list", Short: "List SCIM tokens, revoked ones included", Args: cobra.NoArgs}
	o.bind(c)
	return adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		tokens, err := a.app.ListSCIMTokens(a.ctx, app.CLIActor)
		if err != nil {
			return err
		}
		rows := make([][]string, len(tokens))
		for i, t := range tokens {
			status := "active"
			if t.RevokedAt != nil {
				status = "revoked " + when(*t.RevokedAt)
			}
			rows[i] = []string{t.ID, t.Name, t.Prefix, when(t.CreatedAt), status}
		}
		return o.print(a.out, tokens, []string{"ID", "NAME", "PREFIX", "CREATED", "STATUS"}, rows)
	})
}

func scimTokenRevoke() *cobra.Command {
	c := &cobra.Command{Use: "revoke TOKEN_ID", Short: "Revoke a SCIM token (ids: 'llmgate scim token list')", Args: cobra.ExactArgs(1)}
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, args []string) error {
		if err := a.app.RevokeSCIMToken(a.ctx, app.CLIActor, args[0]); err != nil {
			return err
		}
		fmt.Fprintln(a.out, "revoked", args[0])
		return nil
	})
}
