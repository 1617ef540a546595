package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// budgetsCommand is the admin API's /api/aigateway/v1/budgets from the shell, through the same
// app operations (validated and audited alike).
func budgetsCommand() *cobra.Command {
	return group("budgets", "Create, list, change and delete spend and token budgets", budgetsList(), budgetsCreate(), budgetsUpdate(), budgetsDelete())
}

func budgetsList() *cobra.Command {
	var o output
	c := &cobra.Command{Use: "list", Short: "List budgets", Args: cobra.NoArgs}
	o.bind(c)
	return adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		budgets := a.app.Snapshot().Budgets()
		rows := make([][]string, len(budgets))
		for i, b := range budgets {
			rows[i] = []string{b.ID, b.Scope, b.ScopeID, b.Period, optInt(b.LimitTokens), optFloat(b.LimitCost), b.AlertWebhookURL}
		}
		return o.print(a.out, budgets, []string{"ID", "SCOPE", "SCOPE ID", "PERIOD", "TOKENS", "COST (USD)", "WEBHOOK"}, rows)
	})
}

// budgetFlags binds the limit and webhook flags shared by create and update.
type budgetFlags struct {
	period, webhook string
	tokens          int64
	cost            float64
}

func (f *budgetFlags) bind(c *cobra.Command) {
	c.Flags().StringVar(&f.period, "period", "", "day, week or month (calendar, UTC)")
	c.Flags().Int64Var(&f.tokens, "limit-tokens", 0, "token limit per period")
	c.Flags().Float64Var(&f.cost, "limit-cost", 0, "cost limit per period, in USD")
	c.Flags().StringVar(&f.webhook, "alert-webhook-url", "", "where alerts at 50/80/100 % are posted (signed with --budget-webhook-secret)")
}

func budgetsCreate() *cobra.Command {
	var f budgetFlags
	var scope, scopeID string
	c := &cobra.Command{Use: "create --scope SCOPE [--scope-id ID|NAME] --period P --limit-tokens N|--limit-cost USD",
		Short: "Create a budget (prints its id)", Args: cobra.NoArgs,
		Example: "  llmgate budgets create --scope user --scope-id ann --period month --limit-cost 50\n  llmgate budgets create --scope global --period day --limit-tokens 5000000"}
	c.Flags().StringVar(&scope, "scope", "", "user, organization, endpoint or global")
	c.Flags().StringVar(&scopeID, "scope-id", "", "the user, organization or endpoint (id or name)")
	f.bind(c)
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		b := gateway.Budget{Scope: scope, ScopeID: scopeID, Period: f.period, AlertWebhookURL: f.webhook}
		if c.Flags().Changed("limit-tokens") {
			b.LimitTokens = &f.tokens
		}
		if c.Flags().Changed("limit-cost") {
			b.LimitCost = &f.cost
		}
		created, err := a.app.CreateBudget(a.ctx, app.CLIActor, b)
		if err != nil {
			return err
		}
		a.out.Write([]byte(created.ID + "\n"))
		return nil
	})
}

func budgetsUpdate() *cobra.Command {
	var f budgetFlags
	c := &cobra.Command{Use: "update ID", Short: "Change a budget's period, limits or webhook", Args: cobra.ExactArgs(1)}
	f.bind(c)
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, args []string) error {
		var p app.BudgetPatch
		if c.Flags().Changed("period") {
			p.Period = &f.period
		}
		if c.Flags().Changed("limit-tokens") {
			p.LimitTokens = &f.tokens
		}
		if c.Flags().Changed("limit-cost") {
			p.LimitCost = &f.cost
		}
		if c.Flags().Changed("alert-webhook-url") {
			p.AlertWebhookURL = &f.webhook
		}
		_, err := a.app.UpdateBudget(a.ctx, app.CLIActor, args[0], p)
		return err
	})
}

func budgetsDelete() *cobra.Command {
	c := &cobra.Command{Use: "delete ID", Short: "Delete a budget", Args: cobra.ExactArgs(1)}
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, args []string) error {
		return a.app.DeleteBudget(a.ctx, app.CLIActor, args[0])
	})
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func optFloat(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}
