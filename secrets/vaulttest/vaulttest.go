// Package vaulttest is an in-process fake of the part of HashiCorp Vault's HTTP API that
// llmgate uses: the KV version 2 secrets engine behind a static token.
//
// It follows Vault's documented responses (the `data`/`metadata` envelope, versions, soft
// delete, check-and-set, `{"errors":[...]}` bodies) closely enough that the real
// github.com/hashicorp/vault/api client talks to it unchanged, so secrets/vault is tested
// through the same client code it runs in production. The client's KVv2 helpers only call
// `<mount>/data/...` and `<mount>/metadata/...`; no sys/ endpoint is needed.
package vaulttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMount is the KV v2 mount every Server starts with, like a Vault dev server.
const DefaultMount = "secret"

// Server is a fake Vault. Use URL as VAULT_ADDR.
type Server struct {
	*httptest.Server
	token string

	mu     sync.Mutex
	mounts map[string]map[string]*entry // mount -> path -> entry
}

type entry struct {
	created, updated time.Time
	versions         []*version // versions[i] is version i+1
}

type version struct {
	data    map[string]any
	created time.Time
	deleted time.Time // zero unless soft-deleted
}

// NewServer starts a fake Vault that accepts only token, with a KV v2 mount at "secret".
func NewServer(token string) *Server {
	s := &Server{
		token:  token,
		mounts: map[string]map[string]*entry{DefaultMount: {}},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// AddMount enables another KV v2 mount (e.g. "kv" or "team/kv").
func (s *Server) AddMount(mount string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mounts[strings.Trim(mount, "/")] = map[string]*entry{}
}

// Versions returns how many versions are stored at mount/path (0 when absent), for tests
// that check deletion semantics.
func (s *Server) Versions(mount, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.mounts[mount][path]; e != nil {
		return len(e.versions)
	}
	return 0
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != s.token {
		writeErrors(w, http.StatusForbidden, "permission denied")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		writeErrors(w, http.StatusNotFound)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mount, kind, path, ok := s.route(rest)
	if !ok || path == "" {
		writeErrors(w, http.StatusNotFound, "no handler for route \""+rest+"\". route entry not found.")
		return
	}
	paths := s.mounts[mount]
	switch kind + " " + r.Method {
	case "data GET":
		s.readData(w, r, paths[path])
	case "data POST", "data PUT":
		s.writeData(w, r, paths, path)
	case "data DELETE":
		s.softDelete(paths[path])
		w.WriteHeader(http.StatusNoContent)
	case "metadata GET":
		s.readMetadata(w, paths[path])
	case "metadata DELETE":
		delete(paths, path)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeErrors(w, http.StatusMethodNotAllowed, "unsupported operation")
	}
}

// route splits "<mount>/<data|metadata>/<path>" using the longest matching mount.
func (s *Server) route(p string) (mount, kind, path string, ok bool) {
	for m := range s.mounts {
		rest, found := strings.CutPrefix(p, m+"/")
		if !found || len(m) <= len(mount) {
			continue
		}
		k, tail, _ := strings.Cut(rest, "/")
		if k == "data" || k == "metadata" {
			mount, kind, path, ok = m, k, strings.Trim(tail, "/"), true
		}
	}
	return mount, kind, path, ok
}

func (s *Server) readData(w http.ResponseWriter, r *http.Request, e *entry) {
	if e == nil || len(e.versions) == 0 {
		writeErrors(w, http.StatusNotFound)
		return
	}
	n := len(e.versions)
	if q := r.URL.Query().Get("version"); q != "" && q != "0" {
		v, err := strconv.Atoi(q)
		if err != nil || v < 1 || v > n {
			writeErrors(w, http.StatusNotFound)
			return
		}
		n = v
	}
	v := e.versions[n-1]
	body := map[string]any{"data": v.data, "metadata": versionMetadata(v, n)}
	if !v.deleted.IsZero() {
		// Vault answers 404 for a deleted version but still shows its metadata.
		body["data"] = nil
		writeSecret(w, http.StatusNotFound, body)
		return
	}
	writeSecret(w, http.StatusOK, body)
}

type writeRequest struct {
	Data    map[string]any `json:"data"`
	Options struct {
		CAS *int `json:"cas"`
	} `json:"options"`
}

func (s *Server) writeData(w http.ResponseWriter, r *http.Request, paths map[string]*entry, path string) {
	var req writeRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeErrors(w, http.StatusBadRequest, "error parsing JSON")
		return
	}
	if req.Data == nil {
		writeErrors(w, http.StatusBadRequest, "no data provided")
		return
	}
	e := paths[path]
	current := 0
	if e != nil {
		current = len(e.versions)
	}
	if req.Options.CAS != nil && *req.Options.CAS != current {
		writeErrors(w, http.StatusBadRequest, "check-and-set parameter did not match the current version")
		return
	}
	t := now()
	if e == nil {
		e = &entry{created: t}
		paths[path] = e
	}
	v := &version{data: req.Data, created: t}
	e.versions = append(e.versions, v)
	e.updated = t
	writeSecret(w, http.StatusOK, versionMetadata(v, len(e.versions)))
}

func (s *Server) softDelete(e *entry) {
	if e == nil || len(e.versions) == 0 {
		return
	}
	if latest := e.versions[len(e.versions)-1]; latest.deleted.IsZero() {
		latest.deleted = now()
	}
}

func (s *Server) readMetadata(w http.ResponseWriter, e *entry) {
	if e == nil {
		writeErrors(w, http.StatusNotFound)
		return
	}
	versions := make(map[string]any, len(e.versions))
	for i, v := range e.versions {
		versions[strconv.Itoa(i+1)] = map[string]any{
			"created_time":  formatTime(v.created),
			"deletion_time": formatTime(v.deleted),
			"destroyed":     false,
		}
	}
	writeSecret(w, http.StatusOK, map[string]any{
		"cas_required":         false,
		"created_time":         formatTime(e.created),
		"current_version":      len(e.versions),
		"custom_metadata":      nil,
		"delete_version_after": "0s",
		"max_versions":         0,
		"oldest_version":       0,
		"updated_time":         formatTime(e.updated),
		"versions":             versions,
	})
}

func versionMetadata(v *version, n int) map[string]any {
	return map[string]any{
		"created_time":    formatTime(v.created),
		"custom_metadata": nil,
		"deletion_time":   formatTime(v.deleted),
		"destroyed":       false,
		"version":         n,
	}
}

func now() time.Time { return time.Now().UTC() }

// formatTime renders times as Vault does; an unset deletion time is "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// writeSecret writes Vault's response envelope around data.
func writeSecret(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, map[string]any{
		"request_id":     "00000000-0000-0000-0000-000000000000",
		"lease_id":       "",
		"renewable":      false,
		"lease_duration": 0,
		"data":           data,
		"wrap_info":      nil,
		"warnings":       nil,
		"auth":           nil,
		"mount_type":     "kv",
	})
}

func writeErrors(w http.ResponseWriter, status int, errs ...string) {
	if errs == nil {
		errs = []string{}
	}
	writeJSON(w, status, map[string]any{"errors": errs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
