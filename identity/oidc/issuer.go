package oidc

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// maxTokenBytes bounds what is decoded before any signature check.
const maxTokenBytes = 16 << 10

// unverifiedIssuer reads a compact JWT's iss claim without checking anything, only to choose
// which provider must verify it; the verification that follows is what counts.
func unverifiedIssuer(raw string) (string, error) {
	if len(raw) > maxTokenBytes {
		return "", errors.New("token too large")
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", errors.New("not a compact JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", err
	}
	return c.Iss, nil
}
