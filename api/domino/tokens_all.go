package domino

import (
	"net/http"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

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
	keys, total, err := h.app.ListAllKeys(h.actor(r, p), q.Get("q"), app.Page{Offset: pg.offset, Limit: pg.limit})
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
