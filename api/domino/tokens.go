package domino

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// tokenDetail is Domino's personal access token detail, for llmgate API keys.
type tokenDetail struct {
	PatID     string  `json:"patId"`
	UserID    string  `json:"userId"`
	Name      string  `json:"name"`
	IsValid   bool    `json:"isValid"`
	CreatedAt string  `json:"createdAt"`
	ExpiresAt *string `json:"expiresAt"`
	Prefix    string  `json:"prefix"`
	RevokedAt *string `json:"revokedAt,omitempty"`
	// LastUsedAt [EXT] is the key's last use, recorded by the serving processes (listings only).
	LastUsedAt *string `json:"lastUsedAt,omitempty"`
}

// newToken is the create response: the detail plus the key, shown this once.
type newToken struct {
	Token string `json:"token"`
	tokenDetail
}

type tokenList struct {
	Tokens   []tokenDetail `json:"tokens"`
	Metadata pagedMetadata `json:"metadata"`
}

func toTokenDetail(snap *gateway.Snapshot, k *gateway.APIKey, now time.Time) tokenDetail {
	d := tokenDetail{PatID: k.ID, UserID: k.UserID, Name: k.Name, IsValid: snap.KeyUsable(k, now),
		CreatedAt: gateway.FormatTime(k.CreatedAt), Prefix: k.Prefix}
	if k.ExpiresAt != nil {
		s := gateway.FormatTime(*k.ExpiresAt)
		d.ExpiresAt = &s
	}
	if k.RevokedAt != nil {
		s := gateway.FormatTime(*k.RevokedAt)
		d.RevokedAt = &s
	}
	return d
}

func (h *api) listOwnTokens(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	h.listTokens(w, r, p.User.ID)
}

func (h *api) listUserTokens(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	userID, err := h.existingUser(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.listTokens(w, r, userID)
}

// listTokens reads the store, not the snapshot: the snapshot holds no revoked keys.
func (h *api) listTokens(w http.ResponseWriter, r *http.Request, userID string) {
	pg, err := parsePage(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	keys, err := h.app.Store.ListKeys(r.Context(), userID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now, snap := gateway.Now(), h.app.Snapshot()
	lo, hi := pg.window(len(keys))
	out := tokenList{Tokens: make([]tokenDetail, 0, hi-lo), Metadata: newPagedMetadata(w, r, pg, len(keys))}
	for i := lo; i < hi; i++ {
		d := toTokenDetail(snap, &keys[i], now)
		d.LastUsedAt = formatTimePtr(h.app.KeyLastUsed(keys[i].ID))
		out.Tokens = append(out.Tokens, d)
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

func (h *api) createOwnToken(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	h.createToken(w, r, p, p.User.ID)
}

func (h *api) createUserToken(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	userID, err := h.existingUser(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.createToken(w, r, p, userID)
}

func (h *api) existingUser(r *http.Request) (string, error) {
	id := r.PathValue("userId")
	if h.app.Snapshot().User(id) == nil {
		return "", gateway.Errorf(gateway.CodeNotFound, "user %q not found", truncate(id, 64))
	}
	return id, nil
}

func (h *api) createToken(w http.ResponseWriter, r *http.Request, p *gateway.Principal, userID string) {
	f, err := h.readFields(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name, expiresIn, err := decodeNewToken(f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	key, k, err := h.app.CreateKey(r.Context(), h.actor(r, p), userID, name, expiresIn, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, newToken{Token: key, tokenDetail: toTokenDetail(h.app.Snapshot(), k, gateway.Now())})
}

// decodeNewToken reads {name, expiresIn}. Domino does not document expiresIn's unit: a
// number is seconds, a string is llmgate's CLI form ("90d", "12h").
func decodeNewToken(f fields) (string, time.Duration, error) {
	name, err := f.requiredStr("name")
	if err != nil || !f.has("expiresIn") {
		return name, 0, err
	}
	if s, ok, err := f.str("expiresIn"); err == nil && ok {
		d, err := app.ParseExpiry(s)
		return name, d, err
	}
	var secs int64
	if err := json.Unmarshal(f["expiresIn"], &secs); err != nil || secs < 0 || secs > 100*365*24*3600 {
		return name, 0, wrongType("expiresIn", `a number of seconds >= 0 or a duration such as "90d"`)
	}
	return name, time.Duration(secs) * time.Second, nil
}

func (h *api) revokeToken(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	if err := h.app.RevokeKey(r.Context(), h.actor(r, p), r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// ownedToken is a token detail with its owner's name, for the system-wide listing.
type ownedToken struct {
	tokenDetail
	UserName string `json:"userName"`
}

type ownedTokenList struct {
	Tokens   []ownedToken  `json:"tokens"`
	Metadata pagedMetadata `json:"metadata"`
}

// listAllTokens is GET /api/pat/v1/tokens/all [EXT] (admin): every live key in the system,
// newest first, narrowed by q (a substring of the key's name or prefix or the owner's
// userName), paged with offset and limit, each with lastUsedAt once it has been used. It is
// served from memory (the snapshot and the recorded uses), so it costs no database read;
// revoked keys are not in it (a user's own listing shows them).
func (h *api) listAllTokens(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	q := r.URL.Query()
	pg, err := parsePage(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	keys, total, err := h.app.ListAllKeys(r.Context(), h.actor(r, p), q.Get("q"), app.Page{Offset: pg.offset, Limit: pg.limit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now, snap := gateway.Now(), h.app.Snapshot()
	out := ownedTokenList{Tokens: make([]ownedToken, 0, len(keys)), Metadata: newPagedMetadata(w, r, pg, total)}
	for _, k := range keys {
		t := ownedToken{tokenDetail: toTokenDetail(snap, k.APIKey, now)}
		t.LastUsedAt = formatTimePtr(k.LastUsed)
		if k.Owner != nil {
			t.UserName = k.Owner.UserName
		}
		out.Tokens = append(out.Tokens, t)
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := gateway.FormatTime(*t)
	return &s
}
