// Command llmgate is the gateway binary: `llmgate serve` runs it, the other commands
// administer the same database directly (they work while serve runs). This package only
// parses flags and wires packages together.
package main

import (
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

const usage = `llmgate — a self-hosted AI gateway

Usage:
  llmgate serve [flags]
  llmgate users create --username U [--email E] [--first-name F] [--last-name L] [--admin]
  llmgate users deactivate|reactivate --username U
  llmgate keys create --username U [--name N] [--expires 90d]
  llmgate keys revoke ID
  llmgate orgs create --name N
  llmgate orgs add-member --name N --username U [--role member|admin]
  llmgate audit export [--since T] [--until T] [--user U] [--endpoint E] [--kind K] [--format jsonl|csv]
  llmgate audit verify
  llmgate audit rotate-key
  llmgate import-mlflow FILE
  llmgate secrets rotate-master-key
  llmgate version

Every command takes the settings flags (--data-dir, --database-url, …; see 'llmgate serve -h').
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(rest)
	case "version", "--version", "-v":
		fmt.Println("llmgate", version)
		return 0
	case "help", "-h", "--help":
		fmt.Print(usage)
		return 0
	}
	if len(rest) == 0 && cmd != "import-mlflow" {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	switch cmd + " " + first(rest) {
	case "users create":
		return cmdUsersCreate(rest[1:])
	case "users deactivate", "users reactivate":
		return cmdUsersSetActive(rest[1:], rest[0] == "reactivate")
	case "keys create":
		return cmdKeysCreate(rest[1:])
	case "keys revoke":
		return cmdKeysRevoke(rest[1:])
	case "orgs create":
		return cmdOrgsCreate(rest[1:])
	case "orgs add-member":
		return cmdOrgsAddMember(rest[1:])
	case "audit export":
		return cmdAuditExport(rest[1:])
	case "audit verify":
		return cmdAuditVerify(rest[1:])
	case "audit rotate-key":
		return cmdAuditRotateKey(rest[1:])
	case "secrets rotate-master-key":
		return cmdRotateMasterKey(rest[1:])
	}
	if cmd == "import-mlflow" {
		return cmdImportMLflow(rest)
	}
	fmt.Fprintf(os.Stderr, "llmgate: unknown command %q\n\n%s", cmd, usage)
	return 2
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
