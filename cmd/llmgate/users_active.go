package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/app"
)

// usersSetActive is `llmgate users deactivate|reactivate --username U`: a deactivated user's
// keys stop working on their next request (a running server reloads before the command
// returns); reactivation restores them.
func usersSetActive(active bool) *cobra.Command {
	use, short := "deactivate", "Deactivate a user: their keys stop working on the next request"
	if active {
		use, short = "reactivate", "Reactivate a deactivated user: their keys work again"
	}
	var userName string
	c := &cobra.Command{Use: use + " --username NAME", Short: short, Args: cobra.NoArgs}
	c.Flags().StringVar(&userName, "username", "", "login name of the user (required)")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		u, err := a.user(userName)
		if err != nil {
			return err
		}
		if _, err := a.app.SetUserActive(a.ctx, app.CLIActor, u.ID, active); err != nil {
			return err
		}
		fmt.Fprintln(a.out, u.ID)
		return nil
	})
}
