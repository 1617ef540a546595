//go:build tools

// Package tools pins dependencies that packages being written in parallel will import,
// so go.mod stays stable while they land. Remove an import once real code uses it.
package tools

import (
	_ "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	_ "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	_ "github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	_ "github.com/aws/aws-sdk-go-v2/service/sts"
	_ "github.com/hashicorp/vault/api"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/redis/go-redis/v9"
	_ "golang.org/x/oauth2/google"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
