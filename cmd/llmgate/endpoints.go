package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llmgate/llmgate/api/domino"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// The endpoints commands are the admin API from the shell: each builds the JSON body the REST
// API takes (or reads it with --from-file) and decodes it with the REST API's decoder, then
// calls the same app operation, so both surfaces accept and refuse the same input.

func endpointsCommand() *cobra.Command {
	return group("endpoints", "Create, inspect, change and delete endpoints",
		endpointsList(), endpointsShow(), endpointsCreate(), endpointsUpdate(), endpointsDelete())
}

// endpoint finds an active endpoint by name or id.
func (a *admin) endpoint(ref string) (*gateway.Endpoint, error) {
	snap := a.app.Snapshot()
	if e := snap.Endpoint(ref); e != nil {
		return e, nil
	}
	if e := snap.EndpointByID(ref); e != nil {
		return e, nil
	}
	return nil, gateway.Errorf(gateway.CodeNotFound, "no endpoint named %q (see 'llmgate endpoints list')", ref)
}

func endpointsList() *cobra.Command {
	var o output
	c := &cobra.Command{Use: "list", Short: "List endpoints", Args: cobra.NoArgs}
	o.bind(c)
	return adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		var views []any
		var rows [][]string
		for _, e := range a.app.Snapshot().Endpoints() {
			views = append(views, domino.EndpointView(a.app, e))
			rows = append(rows, []string{e.ID, e.Name, string(e.Type), e.Provider, e.Model, who(a, e.Permissions), when(e.CreatedAt)})
		}
		return o.print(a.out, views, []string{"ID", "NAME", "TYPE", "PROVIDER", "MODEL", "WHO CAN USE IT", "CREATED"}, rows)
	})
}

// who summarises an endpoint's permissions; admins can always use every endpoint.
func who(a *admin, p gateway.Permissions) string {
	if p.IsEveryoneAllowed {
		return "everyone"
	}
	var names []string
	snap := a.app.Snapshot()
	for _, id := range p.UserIDs {
		if u := snap.User(id); u != nil {
			names = append(names, u.UserName)
		}
	}
	for _, id := range p.OrganizationIDs {
		if o := snap.Org(id); o != nil {
			names = append(names, "org:"+o.Name)
		}
	}
	if len(names) == 0 {
		return "admins only"
	}
	return strings.Join(names, ",")
}

func endpointsShow() *cobra.Command {
	c := &cobra.Command{Use: "show NAME|ID", Short: "Show an endpoint as the REST API does (JSON, credentials masked)", Args: cobra.ExactArgs(1)}
	return adminCommand(c, adminOpts{}, func(a *admin, args []string) error {
		e, err := a.endpoint(args[0])
		if err != nil {
			return err
		}
		v := struct {
			Endpoint    any `json:"endpoint"`
			Permissions any `json:"permissions"`
		}{domino.EndpointView(a.app, e), domino.PermissionsView(e.Permissions)}
		return printJSON(a.out, v)
	})
}

// bodyFlags are the flags that build an endpoint's JSON body field by field.
type bodyFlags struct {
	file                  string
	name, typ, prov, mdl  string
	config, secretRefs    []string
	timeout               int
	logPayloads, everyone bool
}

func (b *bodyFlags) bind(fs *pflag.FlagSet, create bool) {
	fs.StringVar(&b.file, "from-file", "", "JSON body as the REST API takes it (- for stdin); the flags below override its fields")
	nameHelp := "endpoint name"
	if !create {
		nameHelp = "new endpoint name (rename)"
	}
	fs.StringVar(&b.name, "name", "", nameHelp)
	fs.StringVar(&b.typ, "type", "", "endpoint type: llm/v1/chat, llm/v1/completions or llm/v1/embeddings")
	fs.StringVar(&b.prov, "provider", "", "model provider, e.g. openai, anthropic, bedrock")
	fs.StringVar(&b.mdl, "model", "", "model name at the provider")
	fs.StringArrayVar(&b.config, "config", nil, "modelConfig entry KEY=VALUE (repeatable)")
	fs.StringArrayVar(&b.secretRefs, "secret-ref", nil, "modelConfig credential held elsewhere, KEY=env:NAME or KEY=vault:PATH#FIELD (repeatable)")
	fs.IntVar(&b.timeout, "timeout-seconds", 0, "upstream timeout in seconds (default 300)")
	fs.BoolVar(&b.logPayloads, "log-payloads", false, "record request and response bodies in the audit trail")
	if create {
		fs.BoolVar(&b.everyone, "everyone", false, "let every user use the endpoint (default: admins only)")
	}
}

// body builds the JSON object: --from-file first, then each flag that was given.
func (b *bodyFlags) body(fs *pflag.FlagSet, create bool) ([]byte, error) {
	m := map[string]any{}
	if b.file != "" {
		raw, err := readInput(b.file)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, gateway.Errorf(gateway.CodeInvalid, "--from-file %s is not a JSON object: %v", b.file, err)
		}
	}
	set := func(flag, field string, v any) {
		if fs.Changed(flag) {
			m[field] = v
		}
	}
	set("name", "endpointName", b.name)
	set("type", "endpointType", b.typ)
	set("provider", "modelProvider", b.prov)
	set("model", "modelName", b.mdl)
	set("timeout-seconds", "timeoutSeconds", b.timeout)
	set("log-payloads", "logPayloads", b.logPayloads)
	if fs.Changed("config") || fs.Changed("secret-ref") {
		cfg, _ := m["modelConfig"].(map[string]any)
		if cfg == nil {
			cfg = map[string]any{}
		}
		for _, kv := range b.config {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, gateway.Errorf(gateway.CodeInvalid, "--config %q: use KEY=VALUE", kv)
			}
			cfg[k] = v
		}
		for _, kv := range b.secretRefs {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, gateway.Errorf(gateway.CodeInvalid, "--secret-ref %q: use KEY=env:NAME or KEY=vault:PATH#FIELD", kv)
			}
			cfg[k] = map[string]string{"secretRef": v}
		}
		m["modelConfig"] = cfg
	}
	if create {
		if _, ok := m["modelConfig"]; !ok {
			m["modelConfig"] = map[string]any{}
		}
		if _, ok := m["endpointPermissions"]; !ok || fs.Changed("everyone") {
			m["endpointPermissions"] = map[string]any{"isEveryoneAllowed": b.everyone, "userIds": []string{}}
		}
	}
	return json.Marshal(m)
}

func endpointsCreate() *cobra.Command {
	var b bodyFlags
	c := &cobra.Command{Use: "create", Short: "Create an endpoint (same input and checks as POST /api/aigateway/v1/endpoints)", Args: cobra.NoArgs,
		Example: `  llmgate endpoints create --name chat --type llm/v1/chat --provider openai --model gpt-4o-mini \
      --secret-ref openai_api_key=env:OPENAI_API_KEY --everyone
  llmgate endpoints create --from-file endpoint.json`}
	b.bind(c.Flags(), true)
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, _ []string) error {
		body, err := b.body(c.Flags(), true)
		if err != nil {
			return err
		}
		in, err := domino.DecodeEndpointCreate(body)
		if err != nil {
			return err
		}
		e, err := a.app.CreateEndpoint(a.ctx, app.CLIActor, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.errOut, "created endpoint %s (id %s), usable by %s\n", e.Name, e.ID, who(a, e.Permissions))
		return printJSON(a.out, domino.EndpointView(a.app, e))
	})
}

func endpointsUpdate() *cobra.Command {
	var b bodyFlags
	var everyone bool
	c := &cobra.Command{Use: "update NAME|ID", Short: "Change an endpoint (same input and checks as PATCH /api/aigateway/v1/endpoints/{name})", Args: cobra.ExactArgs(1),
		Example: "  llmgate endpoints update chat --model gpt-4o --timeout-seconds 120\n  llmgate endpoints update chat --everyone=false"}
	b.bind(c.Flags(), false)
	c.Flags().BoolVar(&everyone, "everyone", false, "let every user use the endpoint (--everyone=false: only those granted)")
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, args []string) error {
		e, err := a.endpoint(args[0])
		if err != nil {
			return err
		}
		body, err := b.body(c.Flags(), false)
		if err != nil {
			return err
		}
		patch, err := domino.DecodeEndpointPatch(body)
		if err != nil {
			return err
		}
		if string(body) != "{}" {
			if e, err = a.app.UpdateEndpoint(a.ctx, app.CLIActor, e.Name, patch); err != nil {
				return err
			}
		}
		if c.Flags().Changed("everyone") {
			if _, err := a.app.UpdatePermissions(a.ctx, app.CLIActor, e.Name, app.PermissionsPatch{IsEveryoneAllowed: &everyone}); err != nil {
				return err
			}
			if err := a.app.Reload(a.ctx); err != nil {
				return err
			}
			e = a.app.Snapshot().EndpointByID(e.ID)
		}
		return printJSON(a.out, domino.EndpointView(a.app, e))
	})
}

func endpointsDelete() *cobra.Command {
	c := &cobra.Command{Use: "delete NAME|ID", Short: "Delete an endpoint and the credentials llmgate stored for it", Args: cobra.ExactArgs(1)}
	return adminCommand(c, adminOpts{writes: true}, func(a *admin, args []string) error {
		e, err := a.endpoint(args[0])
		if err != nil {
			return err
		}
		if err := a.app.DeleteEndpoint(a.ctx, app.CLIActor, e.Name); err != nil {
			return err
		}
		fmt.Fprintln(a.out, "deleted endpoint", e.Name)
		return nil
	})
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readInput reads a file, or stdin for "-".
func readInput(name string) ([]byte, error) {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "cannot read %s: %v", name, err)
	}
	return raw, nil
}
