package gateway

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// shareEndpointParts makes the endpoints of a load share one copy of each equal config map,
// secret reference map, type, provider and model: endpoints in a snapshot are read-only, and
// a store returns every row's maps and strings anew. Many endpoints name the same
// credential (env:OPENAI_API_KEY) or have no plain config, and a one-entry map costs about
// 400 bytes. Nil maps stay nil.
func shareEndpointParts(eps []Endpoint) {
	strs := map[string]string{}
	configs := map[string]map[string]string{}
	secrets := map[string]map[string]SecretRef{}
	var key strings.Builder
	for i := range eps {
		e := &eps[i]
		e.Type = EndpointType(intern(strs, string(e.Type)))
		e.Provider, e.Model = intern(strs, e.Provider), intern(strs, e.Model)
		e.Config = shareMap(configs, e.Config, &key, func(v string) string { return v })
		e.Secrets = shareMap(secrets, e.Secrets, &key, func(r SecretRef) string { return strconv.FormatBool(r.Owned) + r.Ref })
	}
}

func intern(seen map[string]string, s string) string {
	if c, ok := seen[s]; ok {
		return c
	}
	seen[s] = s
	return s
}

// shareMap returns the map in seen equal to m (m itself the first time), keyed by m's
// entries in key order, each length-prefixed so that no two different maps share a key.
func shareMap[V any](seen map[string]map[string]V, m map[string]V, b *strings.Builder, value func(V) string) map[string]V {
	if m == nil {
		return nil
	}
	b.Reset()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := value(m[k])
		b.WriteString(strconv.Itoa(len(k)) + ":" + k + strconv.Itoa(len(v)) + ":" + v)
	}
	if c, ok := seen[b.String()]; ok {
		return c
	}
	seen[b.String()] = m
	return m
}
