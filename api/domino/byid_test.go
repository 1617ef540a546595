package domino

import "testing"

// Every endpoint route takes the endpointId create returned wherever it takes the name, and
// timeoutSeconds shows the effective value (300 when none was set).
func TestEndpointRoutesAcceptTheIDCreateReturned(t *testing.T) {
	e := newEnv(t)
	created := e.create(newEndpoint("by-id", "llm/v1/chat", false))
	id := created["endpointId"].(string)
	if created["timeoutSeconds"] != float64(300) {
		t.Fatalf("timeoutSeconds %v, want the effective 300", created["timeoutSeconds"])
	}
	path := endpointsPath + "/" + id
	if got := e.do("GET", path, e.adminKey, nil).expect(t, 200).object(t); got["endpointName"] != "by-id" {
		t.Fatalf("GET by id: %v", got)
	}
	got := e.do("PATCH", path, e.adminKey, map[string]any{"modelName": "gpt-4o", "timeoutSeconds": 30}).expect(t, 200).object(t)
	if got["modelName"] != "gpt-4o" || got["timeoutSeconds"] != float64(30) {
		t.Fatalf("PATCH by id: %v", got)
	}
	e.do("PATCH", path+"/permissions", e.adminKey, map[string]any{"isEveryoneAllowed": true}).expect(t, 200)
	if perms := e.do("GET", path+"/permissions", e.adminKey, nil).expect(t, 200).object(t); perms["isEveryoneAllowed"] != true {
		t.Fatalf("permissions by id: %v", perms)
	}
	e.do("DELETE", path, e.adminKey, nil).expect(t, 200)
	e.do("GET", endpointsPath+"/by-id", e.adminKey, nil).expect(t, 404)
	e.do("GET", path, e.adminKey, nil).expect(t, 404)
}
