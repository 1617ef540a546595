package main

import (
	"fmt"

	"github.com/llmgate/llmgate/app"
)

// cmdUsersSetActive is `llmgate users deactivate|reactivate --username U`: a deactivated
// user's keys stop working on their next request (a running server reloads before the command
// returns); reactivation restores them.
func cmdUsersSetActive(args []string, active bool) int {
	name := "users deactivate"
	if active {
		name = "users reactivate"
	}
	c := newAdminCommand(name)
	userName := c.fs.String("username", "", "login name of the user (required)")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.done()
	u, err := c.userByName(*userName)
	if err != nil {
		return c.fail(err)
	}
	if _, err := c.app.SetUserActive(c.ctx, app.CLIActor, u.ID, active); err != nil {
		return c.fail(err)
	}
	fmt.Println(u.ID)
	return 0
}
