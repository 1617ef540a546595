package httpkit

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientIPBelievesForwardingHeadersOnlyFromTrustedProxies(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.168.1.5,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer string
		header     http.Header
		want       string
	}{
		{"untrusted peer's header is ignored", "203.0.113.9:5000", http.Header{"X-Forwarded-For": {"1.2.3.4"}}, "203.0.113.9"},
		{"trusted peer, one hop", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7"},
		{"spoofed entries left of the real client are skipped", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.7, 10.9.9.9"}}, "198.51.100.7"},
		{"repeated header lines are one list", "192.168.1.5:80", http.Header{"X-Forwarded-For": {"6.6.6.6", "198.51.100.7"}}, "198.51.100.7"},
		{"all hops trusted: the farthest", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"10.4.4.4, 10.5.5.5"}}, "10.4.4.4"},
		{"garbled hop stops the walk", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"198.51.100.7, nonsense"}}, "10.1.2.3"},
		{"trusted peer without header", "10.1.2.3:5000", http.Header{}, "10.1.2.3"},
		{"Forwarded with port and quotes", "10.1.2.3:5000", http.Header{"Forwarded": {`for="198.51.100.7:4711";proto=https`}}, "198.51.100.7"},
		{"Forwarded IPv6", "[fd00::1]:5000", http.Header{"Forwarded": {`for="[2001:db8::17]:4711"`}}, "2001:db8::17"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got string
			h := ForwardedFor(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIP(r) }))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr, r.Header = c.peer, c.header
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != c.want {
				t.Fatalf("ClientIP = %q, want %q", got, c.want)
			}
		})
	}
}

func TestNoTrustedProxiesMeansThePeer(t *testing.T) {
	var got string
	h := ForwardedFor(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIP(r) }))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:5000"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != "10.1.2.3" {
		t.Fatalf("ClientIP = %q, want the peer", got)
	}
}

func TestParseTrustedProxiesRejectsGarbage(t *testing.T) {
	if _, err := ParseTrustedProxies("10.0.0.0/8,not-an-ip"); err == nil {
		t.Fatal("want an error naming the bad entry")
	}
}
