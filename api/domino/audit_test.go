package domino

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// appendAccessEvents appends n access events directly, all at one instant so that only the
// seq tie-break orders them, and returns their ids in order (also recorded as requestId, the
// one field the Domino shape shows that tells them apart).
func (e *env) appendAccessEvents(n int) []string {
	e.t.Helper()
	at := gateway.Now().Add(-time.Hour)
	var ids []string
	var batch []*gateway.AuditEvent
	for i := range n {
		id := gateway.NewID()
		ev := &gateway.AuditEvent{ID: id, Kind: gateway.KindAccessEndpoint, Timestamp: at,
			Metadata: map[string]string{"accessedByUsername": "pager", "endpointName": "paged", "requestId": id}}
		ids = append(ids, id)
		batch = append(batch, ev)
		if len(batch) == 2000 || i == n-1 {
			if err := e.store.AppendAudit(context.Background(), batch); err != nil {
				e.t.Fatal(err)
			}
			batch = nil
		}
	}
	return ids
}

// pageIDs reads one page and returns its requestIds and the next-page cursor.
func (e *env) pageIDs(query string) ([]string, *resp) {
	e.t.Helper()
	r := e.do("GET", "/api/aigateway/v1/audit?usernames=pager"+query, e.adminKey, nil).expect(e.t, 200)
	var list []auditData
	r.json(e.t, &list)
	ids := make([]string, len(list))
	for i, ev := range list {
		ids[i] = ev.Metadata["requestId"]
	}
	return ids, r
}

// TestAuditListIsPagedWithACursor: without limit the list answers the default page (1000)
// and names the next page; following the cursor visits every event exactly once, in order;
// a limit above the maximum is cut to 10000; the body stays Domino's bare array; the JSON
// download streams every event of its window, beyond any page size.
func TestAuditListIsPagedWithACursor(t *testing.T) {
	e := newEnv(t)
	want := e.appendAccessEvents(10_500)

	page, first := e.pageIDs("")
	if len(page) != auditDefaultLimit || strings.TrimSpace(string(first.body))[0] != '[' {
		t.Fatalf("unpaged request answered %d events, want a bare array of the default page of %d", len(page), auditDefaultLimit)
	}
	if first.header.Get("X-Llmgate-Audit-Next") == "" || !strings.Contains(first.header.Get("Link"), `rel="next"`) {
		t.Fatalf("a full page must name the next one: headers %v", first.header)
	}

	var got []string
	cursor := ""
	for pages := 0; pages < 100; pages++ {
		q := "&limit=700"
		if cursor != "" {
			q += "&after=" + cursor
		}
		ids, r := e.pageIDs(q)
		got = append(got, ids...)
		if cursor = r.header.Get("X-Llmgate-Audit-Next"); cursor == "" {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("cursor paging visited %d events, want each of the %d exactly once in append order", len(got), len(want))
	}

	if capped, _ := e.pageIDs("&limit=50000"); len(capped) != auditMaxLimit {
		t.Fatalf("limit=50000 answered %d events, want the maximum %d", len(capped), auditMaxLimit)
	}
	for _, bad := range []string{"after=x", "after=12.-1", "limit=0", "offset=-1"} {
		assertEnvelope(t, e.do("GET", "/api/aigateway/v1/audit?"+bad, e.adminKey, nil), 400)
	}

	r := e.do("GET", "/v4/aigateway/audit/download?useJson=true", e.adminKey, nil).expect(t, 200)
	var all []auditData
	r.json(t, &all)
	var downloaded []string
	for _, ev := range all {
		if ev.Metadata["accessedByUsername"] == "pager" {
			downloaded = append(downloaded, ev.Metadata["requestId"])
		}
	}
	if strings.Join(downloaded, ",") != strings.Join(want, ",") {
		t.Fatalf("download held %d of the %d events", len(downloaded), len(want))
	}
}

// TestNonAdminAttemptAtAnAdminActionIsAudited: the 403 stays, and a DeniedAdminAction event
// names who tried which route, with outcome and status; an admin's own calls add none.
func TestNonAdminAttemptAtAnAdminActionIsAudited(t *testing.T) {
	e := newEnv(t)
	uid, key := e.user("mallory")
	assertEnvelope(t, e.do("POST", endpointsPath, key, newEndpoint("stolen", "llm/v1/chat", true)), 403)
	assertEnvelope(t, e.do("DELETE", endpointsPath+"/victim", key, nil), 403)
	e.do("GET", "/api/aigateway/v1/audit", e.adminKey, nil).expect(t, 200)

	got := e.auditEvents("?eventKinds=DeniedAdminAction")
	if len(got) != 2 {
		t.Fatalf("%d DeniedAdminAction events, want 2: %v", len(got), got)
	}
	want := []struct{ action, path string }{
		{"POST /api/aigateway/v1/endpoints", endpointsPath},
		{"DELETE /api/aigateway/v1/endpoints/{name}", endpointsPath + "/victim"},
	}
	for i, ev := range got {
		md := ev["metadata"].(map[string]any)
		if ev["performedBy"] != uid || md["performedByUsername"] != "mallory" || md["action"] != want[i].action ||
			md["path"] != want[i].path || md["outcome"] != "denied" || md["httpStatus"] != "403" || md["requestId"] == "" {
			t.Errorf("event %d = %v", i, ev)
		}
	}
}
