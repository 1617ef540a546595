package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// `llmgate login` from a terminal: the command listens on a loopback port and opens
// /console/cli-login?port=…&state=…; the signed-in user approves, the console creates a
// short-lived key and the browser posts it (with the state) straight to the command's loopback
// listener — in a form body, never in a URL that history or logs would keep.

type cliLoginData struct {
	Port, State, Expiry string
	Key                 string
	Target              string
}

var cliExpiries = map[string]bool{"1h": true, "8h": true, "24h": true}

func readCLILogin(get func(string) string) (cliLoginData, error) {
	d := cliLoginData{Port: get("port"), State: get("state"), Expiry: get("expiry")}
	port, err := strconv.Atoi(d.Port)
	if err != nil || port < 1024 || port > 65535 {
		return d, gateway.Errorf(gateway.CodeInvalid, "this sign-in link is not from llmgate login (bad port)")
	}
	if len(d.State) < 16 || len(d.State) > 128 || strings.Trim(d.State, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return d, gateway.Errorf(gateway.CodeInvalid, "this sign-in link is not from llmgate login (bad state)")
	}
	if !cliExpiries[d.Expiry] {
		d.Expiry = "8h"
	}
	d.Target = fmt.Sprintf("http://127.0.0.1:%d/callback", port)
	return d, nil
}

// cliLogin asks the signed-in user to approve a key for the command.
func (c *Console) cliLogin(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := readCLILogin(r.URL.Query().Get)
	if err != nil {
		return err
	}
	v.Title, v.Data = "Sign in the llmgate CLI", d
	c.render(w, http.StatusOK, "cli", v)
	return nil
}

// cliApprove creates the key (app.CreateKey, audited) and hands it to the command's listener.
func (c *Console) cliApprove(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := readCLILogin(r.PostFormValue)
	if err != nil {
		return err
	}
	lifetime, err := app.ParseExpiry(d.Expiry)
	if err != nil {
		return err
	}
	key, _, err := c.app.CreateKey(r.Context(), v.actor(), v.User.ID, "llmgate login", lifetime, "")
	if err != nil {
		return err
	}
	d.Key = key
	// This one page may post to the command's loopback listener; no other page can.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "+
		"form-action 'self' "+d.Target+"; frame-ancestors 'none'; base-uri 'none'")
	v.Title, v.Data = "Sign in the llmgate CLI", d
	c.render(w, http.StatusOK, "cli", v)
	return nil
}
