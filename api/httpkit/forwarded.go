package httpkit

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Behind a load balancer every connection comes from the balancer, so the client's address is
// in X-Forwarded-For or Forwarded. Those headers are whatever the sender wrote, so they are
// believed only from peers the operator names (--trusted-proxies); the client is then the
// nearest address, walking back from our peer, that is not itself a trusted proxy.

// TrustedProxies are the peers whose forwarding headers are believed.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies reads a comma-separated list of CIDRs or single addresses.
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var out TrustedProxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR nor an IP address", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func (t TrustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

const clientIPKey ctxKey = 3

// ForwardedFor records each request's client address for ClientIP, honouring X-Forwarded-For
// (or, without it, Forwarded) only when the connection comes from a trusted proxy. With no
// trusted proxies it is next itself.
func ForwardedFor(t TrustedProxies, next http.Handler) http.Handler {
	if len(t) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip := t.clientIP(r); ip != "" {
			r = r.WithContext(context.WithValue(r.Context(), clientIPKey, ip))
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP walks the forwarding chain from the nearest hop back and returns the first address
// that is not a trusted proxy ("" when the peer itself is not trusted: RemoteAddr is the client).
func (t TrustedProxies) clientIP(r *http.Request) string {
	peer, err := netip.ParseAddr(remoteHost(r))
	if err != nil || !t.trusts(peer) {
		return ""
	}
	hops := forwardedHops(r.Header)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // a garbled hop: nothing before it can be believed
		}
		client = a.Unmap()
		if !t.trusts(client) {
			break
		}
	}
	return client.String()
}

// forwardedHops lists the addresses of X-Forwarded-For, or of Forwarded's for= parameters,
// client first.
func forwardedHops(h http.Header) []string {
	var hops []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, v := range xff {
			for _, f := range strings.Split(v, ",") {
				hops = append(hops, strings.TrimSpace(f))
			}
		}
		return hops
	}
	for _, v := range h.Values("Forwarded") {
		for _, elem := range strings.Split(v, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hops = append(hops, forwardedNode(val))
				}
			}
		}
	}
	return hops
}

// forwardedNode strips RFC 7239's quoting, brackets and port from a for= value.
func forwardedNode(v string) string {
	v = strings.Trim(strings.TrimSpace(v), `"`)
	if strings.HasPrefix(v, "[") {
		if end := strings.IndexByte(v, ']'); end > 0 {
			return v[1:end]
		}
	}
	if host, _, err := net.SplitHostPort(v); err == nil {
		return host
	}
	return v
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
