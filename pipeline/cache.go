package pipeline

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/respcache"
)

// The response cache (respcache): for an endpoint with a cache policy, a non-streamed query
// after authentication, permission and rate limits looks up its exact canonical request; a hit
// is answered without calling the provider, audited with cache=hit and zero upstream tokens and
// cost; a miss is stored once answered. Cache-Control: no-cache skips the lookup, no-store the
// write. Cost per query without a cache policy: one nil check; with one, a SHA-256 of the
// canonical request and a lookup.

// cacheLookup answers from the cache when it can; done reports that it did (err is then the
// answer's outcome).
func (x *exchange) cacheLookup() (done bool, err *gateway.Error) {
	if x.ep.Cache == nil || x.req.Stream() || x.p.opts.Cache == nil {
		return false, nil
	}
	cc := strings.ToLower(x.q.CacheControl)
	x.cacheStore = !strings.Contains(cc, "no-store")
	key, ok := respcache.Key(x.ep, x.req)
	if !ok {
		return false, nil
	}
	x.cacheKey = key
	if strings.Contains(cc, "no-cache") {
		x.cacheState = "bypass"
		return false, nil
	}
	x.cacheState = "miss"
	ctx, cancel := context.WithTimeout(x.ctx, 250*time.Millisecond)
	defer cancel()
	raw, hit, gerr := x.p.opts.Cache.Get(ctx, key)
	if gerr != nil || !hit {
		return false, nil // an unreachable cache is a miss, never a failure
	}
	var resp llm.Response
	if json.Unmarshal(raw, &resp) != nil {
		return false, nil
	}
	x.cacheState = "hit"
	return true, x.complete(&resp)
}

// cacheAnswer stores a fresh answer for the endpoint's TTL.
func (x *exchange) cacheAnswer(resp *llm.Response) {
	if x.cacheKey == "" || x.cacheState == "hit" || !x.cacheStore {
		return
	}
	raw, err := json.Marshal(resp)
	if err != nil || len(raw) > respcache.MaxEntryBytes {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(x.ctx), 250*time.Millisecond)
	defer cancel()
	if err := x.p.opts.Cache.Set(ctx, x.cacheKey, raw, time.Duration(x.ep.Cache.TTLSeconds)*time.Second); err != nil {
		x.p.log.Warn("response cache write failed", "endpoint", x.ep.Name, "err", err)
	}
}
