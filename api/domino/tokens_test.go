package domino

import (
	"context"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/app"
)

// GET /api/pat/v1/tokens/all lists every live key with its owner and last use, newest first,
// searchable and paged; a revoked key is gone from it, a deactivated owner's key shows as not valid; it
// is for administrators only and refuses bad paging with a 400.
func TestAllTokensListsEveryLiveKeyWithItsOwner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	annID, annKey := e.user("ann-tokens")
	bobID, _ := e.user("bob-tokens")
	_, spare, err := e.app.CreateKey(ctx, app.CLIActor, annID, "ann-spare", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	_, gone, err := e.app.CreateKey(ctx, app.CLIActor, bobID, "bob-gone", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.RevokeKey(ctx, app.CLIActor, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.SetUserActive(ctx, app.CLIActor, bobID, false); err != nil {
		t.Fatal(err)
	}
	e.notifyServer()

	const path = "/api/pat/v1/tokens/all"
	assertEnvelope(t, e.do("GET", path, annKey, nil), 403)
	assertEnvelope(t, e.do("GET", path+"?limit=0", e.adminKey, nil), 400)
	assertEnvelope(t, e.do("GET", path+"?offset=x", e.adminKey, nil), 400)

	type token struct {
		PatID    string `json:"patId"`
		UserID   string `json:"userId"`
		UserName string `json:"userName"`
		Name     string `json:"name"`
		IsValid  bool   `json:"isValid"`
		LastUsed string `json:"lastUsedAt"`
	}
	var page struct {
		Tokens   []token `json:"tokens"`
		Metadata struct {
			TotalCount int `json:"totalCount"`
		} `json:"metadata"`
	}
	e.do("GET", path+"?q=-TOKENS", e.adminKey, nil).expect(t, 200).json(t, &page)
	var got []string
	for _, tk := range page.Tokens {
		got = append(got, tk.UserName+"/"+tk.Name)
		if tk.PatID == gone.ID {
			t.Errorf("revoked key %s listed", gone.ID)
		}
		if want := tk.UserName == "ann-tokens"; tk.IsValid != want {
			t.Errorf("%s/%s isValid = %v, want %v (bob is deactivated)", tk.UserName, tk.Name, tk.IsValid, want)
		}
		// Only ann's "test" key made a request (the refused listing above).
		if used := tk.UserName == "ann-tokens" && tk.Name == "test"; (tk.LastUsed != "") != used {
			t.Errorf("%s/%s lastUsedAt = %q, want it set: %v", tk.UserName, tk.Name, tk.LastUsed, used)
		}
	}
	if strings.Join(got, ",") != "ann-tokens/ann-spare,bob-tokens/test,ann-tokens/test" || page.Metadata.TotalCount != 3 {
		t.Fatalf("tokens matching -tokens, newest first = %v (total %d)", got, page.Metadata.TotalCount)
	}

	e.do("GET", path+"?q=ann-tokens&offset=1&limit=1", e.adminKey, nil).expect(t, 200).json(t, &page)
	if len(page.Tokens) != 1 || page.Tokens[0].Name != "test" || page.Metadata.TotalCount != 2 {
		t.Fatalf("second page of ann's keys = %+v (total %d)", page.Tokens, page.Metadata.TotalCount)
	}
	// Without a search the store reads just the page: it is the same slice of the whole list.
	var whole, second struct {
		Tokens   []token `json:"tokens"`
		Metadata struct {
			TotalCount int `json:"totalCount"`
		} `json:"metadata"`
	}
	e.do("GET", path+"?limit=1000", e.adminKey, nil).expect(t, 200).json(t, &whole)
	e.do("GET", path+"?offset=1&limit=1", e.adminKey, nil).expect(t, 200).json(t, &second)
	if n := whole.Metadata.TotalCount; n != len(whole.Tokens) || n < 4 || len(second.Tokens) != 1 || second.Tokens[0] != whole.Tokens[1] || second.Metadata.TotalCount != n {
		t.Fatalf("page 2 of 1 unsearched = %+v (total %d); the whole list %+v (total %d)", second.Tokens, second.Metadata.TotalCount, whole.Tokens, n)
	}
	e.do("GET", path+"?q="+spare.Prefix, e.adminKey, nil).expect(t, 200).json(t, &page)
	if len(page.Tokens) != 1 || page.Tokens[0].PatID != spare.ID || page.Tokens[0].UserID != annID {
		t.Fatalf("search by prefix = %+v", page.Tokens)
	}
}
