package fakeupstream

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
)

// LeakForms are the ways a faulty upstream echoes the credential it received (model
// fake-leak-<status>, form chosen by "leak:<form>" in the prompt). The gateway must remove
// every one of them before anything reaches a caller, the audit trail or a log.
var LeakForms = []string{"raw", "noprefix", "query", "bearerurl", "json", "base64", "basic", "fragment"}

// LeakText is the text an upstream echoing cred in form writes.
func LeakText(form, cred string) string {
	switch form {
	case "noprefix":
		return "unknown token " + strings.TrimPrefix(cred, "sk-")[3:]
	case "query":
		return "GET https://upstream.example/v1?api_key=" + url.QueryEscape(cred) + " failed"
	case "bearerurl":
		return "bad header in https://upstream.example/log/Authorization:Bearer%20" + url.PathEscape(cred)
	case "json":
		b, _ := json.Marshal(map[string]string{"received": cred})
		return "request was " + string(b)
	case "base64":
		return "token " + base64.StdEncoding.EncodeToString([]byte(cred)) + " rejected"
	case "basic":
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+cred))
	case "fragment":
		mid := len(cred) / 2
		return "key ending …" + cred[max(mid-6, 0):min(mid+6, len(cred))] + "… is revoked"
	}
	return "invalid key " + cred + " provided"
}

// LeakEncodings lists the strings of cred that must never appear outside the gateway: the
// encoded forms LeakText uses (each is a distinct way the credential could escape).
func LeakEncodings(cred string) map[string]string {
	mid := len(cred) / 2
	b, _ := json.Marshal(cred)
	return map[string]string{
		"raw":      cred,
		"noprefix": strings.TrimPrefix(cred, "sk-")[3:],
		"query":    url.QueryEscape(cred),
		"path":     url.PathEscape(cred),
		"json":     string(b[1 : len(b)-1]),
		"base64":   base64.StdEncoding.EncodeToString([]byte(cred)),
		"basic":    base64.StdEncoding.EncodeToString([]byte("user:" + cred)),
		"fragment": cred[max(mid-6, 0):min(mid+6, len(cred))],
	}
}

var leakMarker = regexp.MustCompile(`leak:([a-z0-9]+)`)

// leakForm reads the form a fake-leak request asks for from its body ("raw" if none).
func leakForm(body []byte) string {
	if m := leakMarker.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return "raw"
}
