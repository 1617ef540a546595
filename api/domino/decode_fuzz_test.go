package domino

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// assertClientError fails unless err is nil or a caller's mistake (a 4xx on the wire).
func assertClientError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if status := statusOf(gateway.AsError(err)); status < 400 || status > 499 {
		t.Fatalf("%s: garbage gave status %d (%v)", what, status, err)
	}
}

func FuzzBodyDecoders(f *testing.F) {
	for _, seed := range []string{
		`{"endpointName":"completions","endpointType":"llm/v1/completions","endpointPermissions":{"isEveryoneAllowed":true,"userIds":[]},"modelProvider":"openai","modelName":"gpt-4","modelConfig":{"openai_api_key":"k"}}`,
		`{"modelName":"gpt-3.5","modelConfig":{"a":1,"b":true,"c":{"secretRef":"env:X"},"d":null},"rateLimits":{"callsPerMinute":{"endpoint":5}}}`,
		`{"isEveryoneAllowed":true,"userIds":["66e1a0b2c3d4e5f601234567"],"organizationIds":null}`,
		`{"timeoutSeconds":1e400,"logPayloads":"x","endpointPermissions":[]}`,
		`{"name":"n","members":[{"userId":"x"},1,null],"expiresIn":"90d"}`,
		`[]`, `{`, `null`, `{"a":"\ud800"}`, "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fs, err := parseFields(body)
		assertClientError(t, "parseFields", err)
		if err != nil {
			return
		}
		_, err = decodeCreate(fs)
		assertClientError(t, "decodeCreate", err)
		_, err = decodePatch(fs)
		assertClientError(t, "decodePatch", err)
		_, err = decodePermissionsPatch(fs)
		assertClientError(t, "decodePermissionsPatch", err)
		_, err = decodeNewUser(fs)
		assertClientError(t, "decodeNewUser", err)
		_, err = decodeMembers(fs)
		assertClientError(t, "decodeMembers", err)
		_, _, err = decodeNewToken(fs)
		assertClientError(t, "decodeNewToken", err)
	})
}

func FuzzQueryDecoders(f *testing.F) {
	for _, seed := range []string{
		"offset=0&limit=2&sortByField=endpointName&shouldSortAscending=false&searchFilter=GPT",
		"limit=99999999999999999999&offset=-0",
		"startTime=2026-05-01T00:00:00+02:00&endTime=2026-05-01T00:00:00&endpointIds=a,b&endpointIds=c",
		"sortByField=%ff&shouldSortAscending=&startTime=%00", ";;&&==",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := &http.Request{URL: &url.URL{RawQuery: raw}}
		lq, err := parseListQuery(r)
		assertClientError(t, "parseListQuery", err)
		if err == nil && (lq.page.offset < 0 || lq.page.limit < 1 || lq.page.limit > maxLimit) {
			t.Fatalf("accepted page %+v", lq.page)
		}
		q := r.URL.Query()
		_, err = parseTime(q, "startTime")
		assertClientError(t, "parseTime", err)
		_, err = parseBool(q, "useJson", false)
		assertClientError(t, "parseBool", err)
		_ = multi(q, "endpointIds")
	})
}
