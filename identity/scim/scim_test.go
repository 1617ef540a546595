package scim

import (
	"errors"
	"slices"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

func errField(t *testing.T, err error) string {
	t.Helper()
	var ge *gateway.Error
	if !errors.As(err, &ge) || ge.Code != gateway.CodeInvalid {
		t.Fatalf("err = %v, want a CodeInvalid *gateway.Error", err)
	}
	return ge.Field
}

func TestParseFilterAcceptsTheLookupsIdPsSend(t *testing.T) {
	cases := map[string]Filter{
		`userName eq "alice@example.com"`: {"userName", "alice@example.com"},
		`USERNAME EQ "Alice"`:             {"userName", "Alice"},
		`externalId eq "0a21f0f2-8d2a"`:   {"externalId", "0a21f0f2-8d2a"},
		`displayName eq "Data \"Team\""`:  {"displayName", `Data "Team"`},
		`id eq "abc"`:                     {"id", "abc"},
		`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob"`: {"userName", "bob"},
	}
	for in, want := range cases {
		f, err := ParseFilter(in)
		if err != nil || f == nil || *f != want {
			t.Errorf("ParseFilter(%q) = %+v, %v; want %+v", in, f, err, want)
		}
	}
	if f, err := ParseFilter("  "); f != nil || err != nil {
		t.Errorf("empty filter = %+v, %v; want nil, nil", f, err)
	}
}

func TestParseFilterRefusesWhatItCannotAnswerExactly(t *testing.T) {
	for _, in := range []string{
		`userName sw "a"`, `userName eq alice`, `title eq "x"`, `userName eq "a" and active eq true`,
		`userName`, `userName eq "unterminated`, `emails[type eq "work"].value eq "x"`,
	} {
		_, err := ParseFilter(in)
		if errField(t, err) != FieldFilter {
			t.Errorf("ParseFilter(%q): field = %q, want filter", in, errField(t, err))
		}
	}
}

func TestFilterMatchesUserNameCaseInsensitivelyAndExternalIdExactly(t *testing.T) {
	f, _ := ParseFilter(`userName eq "ALICE"`)
	if !f.Matches(map[string]string{"userName": "alice"}) {
		t.Error("userName should match case-insensitively")
	}
	f, _ = ParseFilter(`externalId eq "AB"`)
	if f.Matches(map[string]string{"externalId": "ab"}) {
		t.Error("externalId should match exactly")
	}
}

func userPatch(t *testing.T, body string) UserChanges {
	t.Helper()
	p, err := DecodePatch([]byte(body))
	if err != nil {
		t.Fatalf("DecodePatch: %v", err)
	}
	c, err := p.UserChanges()
	if err != nil {
		t.Fatalf("UserChanges: %v", err)
	}
	return c
}

func TestUserPatchDeactivatesInOktaAndEntraShapes(t *testing.T) {
	for name, body := range map[string]string{
		"okta without path":      `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
		"entra capitalised":      `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		"entra bool with path":   `{"Operations":[{"op":"replace","path":"active","value":false}]}`,
		"string without path":    `{"Operations":[{"op":"Replace","value":{"active":"false"}}]}`,
		"add is replace for one": `{"Operations":[{"op":"Add","path":"active","value":"FALSE"}]}`,
	} {
		c := userPatch(t, body)
		if c.Active == nil || *c.Active {
			t.Errorf("%s: Active = %v, want false", name, c.Active)
		}
	}
	if c := userPatch(t, `{"Operations":[{"op":"replace","path":"active","value":"True"}]}`); c.Active == nil || !*c.Active {
		t.Errorf("reactivation: Active = %v, want true", c.Active)
	}
}

func TestUserPatchReadsProfileAttributesAndIgnoresUnkeptOnes(t *testing.T) {
	c := userPatch(t, `{"Operations":[
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@example.com"},
		{"op":"Replace","path":"name.givenName","value":"Ada"},
		{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"},
		{"op":"replace","value":{"name":{"familyName":"Lovelace","givenName":"Ada"},"title":"Eng","externalId":"x1"}},
		{"op":"Remove","path":"externalId"}]}`)
	if c.Email == nil || *c.Email != "new@example.com" || c.FamilyName == nil || *c.FamilyName != "Lovelace" ||
		c.GivenName == nil || *c.GivenName != "Ada" || c.ExternalID == nil || *c.ExternalID != "" || c.Active != nil {
		t.Fatalf("changes = %+v", c)
	}
}

func TestUserPatchRemovingEmailsOrNameClearsThem(t *testing.T) {
	c := userPatch(t, `{"Operations":[{"op":"Remove","path":"emails"},{"op":"remove","path":"name"}]}`)
	if c.Email == nil || *c.Email != "" || c.GivenName == nil || *c.GivenName != "" || c.FamilyName == nil || *c.FamilyName != "" {
		t.Fatalf("changes = %+v", c)
	}
}

func TestUserPatchRefusesMalformedOperations(t *testing.T) {
	cases := map[string]string{
		`{"Operations":[]}`: "",
		`{"Operations":[{"op":"move","path":"active","value":true}]}`:       "",
		`{"Operations":[{"op":"remove"}]}`:                                  FieldPath,
		`{"Operations":[{"op":"replace","path":"active"}]}`:                 FieldValue,
		`{"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`: FieldValue,
		`{"Operations":[{"op":"replace","value":"active"}]}`:                FieldValue,
		`{"Operations":[{"op":"remove","path":"active"}]}`:                  FieldPath,
		`{"Operations":[{"op":"replace","path":"userName","value":3}]}`:     FieldValue,
		`{"Operations":`: "",
		`{} {}`:          "",
	}
	for body, field := range cases {
		p, err := DecodePatch([]byte(body))
		if err == nil {
			_, err = p.UserChanges()
		}
		if got := errField(t, err); got != field {
			t.Errorf("%s: field = %q, want %q (%v)", body, got, field, err)
		}
	}
}

func groupPatch(t *testing.T, body string) GroupChanges {
	t.Helper()
	p, err := DecodePatch([]byte(body))
	if err != nil {
		t.Fatalf("DecodePatch: %v", err)
	}
	c, err := p.GroupChanges()
	if err != nil {
		t.Fatalf("GroupChanges: %v", err)
	}
	return c
}

func TestGroupPatchMembershipInEveryShape(t *testing.T) {
	cur := []string{"u1", "u2"}
	cases := []struct {
		name, body  string
		add, remove []string
	}{
		{"entra add", `{"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u3"}]}]}`, []string{"u3"}, nil},
		{"entra remove", `{"Operations":[{"op":"Remove","path":"members","value":[{"value":"u1"}]}]}`, nil, []string{"u1"}},
		{"okta remove by filter", `{"Operations":[{"op":"remove","path":"members[value eq \"u2\"]"}]}`, nil, []string{"u2"}},
		{"okta replace", `{"Operations":[{"op":"replace","path":"members","value":[{"value":"u2"},{"value":"u4"}]}]}`, []string{"u4"}, []string{"u1"}},
		{"remove all", `{"Operations":[{"op":"remove","path":"members"}]}`, nil, []string{"u1", "u2"}},
		{"add then remove same", `{"Operations":[{"op":"add","path":"members","value":[{"value":"u5"}]},{"op":"remove","path":"members","value":[{"value":"u5"}]}]}`, nil, nil},
		{"add existing", `{"Operations":[{"op":"add","path":"members","value":[{"value":"u1"}]}]}`, nil, nil},
		{"no path", `{"Operations":[{"op":"add","value":{"members":[{"value":"u6"}]}}]}`, []string{"u6"}, nil},
	}
	for _, tc := range cases {
		c := groupPatch(t, tc.body)
		add, remove := c.MemberDiff(cur)
		if !slices.Equal(add, tc.add) || !slices.Equal(remove, tc.remove) {
			t.Errorf("%s: add %v remove %v; want %v %v", tc.name, add, remove, tc.add, tc.remove)
		}
	}
}

func TestGroupPatchRenamesWithAndWithoutPath(t *testing.T) {
	for _, body := range []string{
		`{"Operations":[{"op":"replace","value":{"id":"g1","displayName":"Renamed"}}]}`,
		`{"Operations":[{"op":"Replace","path":"displayName","value":"Renamed"},{"op":"Add","path":"externalId","value":"e1"}]}`,
	} {
		c := groupPatch(t, body)
		if c.ExternalID != nil && *c.ExternalID != "e1" {
			t.Errorf("%s: externalId %q", body, *c.ExternalID)
		}
		if c.DisplayName == nil || *c.DisplayName != "Renamed" || c.TouchesMembers() {
			t.Errorf("%s: %+v", body, c)
		}
	}
	for _, body := range []string{
		`{"Operations":[{"op":"replace","path":"displayName","value":""}]}`,
		`{"Operations":[{"op":"add","path":"members[value eq \"u1\"]","value":[{"value":"u1"}]}]}`,
		`{"Operations":[{"op":"add","path":"members","value":[{"display":"no id"}]}]}`,
		`{"Operations":[{"op":"add","path":"members","value":{"value":"u1"}}]}`,
	} {
		p, err := DecodePatch([]byte(body))
		if err == nil {
			_, err = p.GroupChanges()
		}
		errField(t, err)
	}
}

func TestDecodeUserPicksPrimaryEmailAndDefaultsActive(t *testing.T) {
	u, err := DecodeUser([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":" alice@example.com ",
		"name":{"givenName":"Alice","familyName":"Liddell"},"emails":[{"value":"home@example.com","type":"home"},
		{"primary":true,"value":"alice@example.com","type":"work"}],"externalId":"ext-1","locale":"en-US"}`))
	if err != nil {
		t.Fatal(err)
	}
	p := ProfileOf(u)
	want := Profile{UserName: "alice@example.com", ExternalID: "ext-1", Email: "alice@example.com", GivenName: "Alice", FamilyName: "Liddell", Active: true}
	if p != want {
		t.Fatalf("profile = %+v, want %+v", p, want)
	}
	u, _ = DecodeUser([]byte(`{"userName":"bob","active":"False"}`))
	if ProfileOf(u).Active {
		t.Fatal(`"active":"False" should decode as inactive`)
	}
	for _, body := range []string{`{"userName":""}`, `{"userName":5}`, `[]`, `{"userName":"a","active":"perhaps"}`} {
		if _, err := DecodeUser([]byte(body)); err == nil {
			t.Errorf("DecodeUser(%s) accepted", body)
		}
	}
}

func TestFromUserRendersDeactivatedUserInactive(t *testing.T) {
	now := gateway.Now()
	u := &gateway.User{ID: "u1", UserName: "alice", Email: "a@example.com", FirstName: "A", CreatedAt: now, DeactivatedAt: &now}
	r := FromUser(u, "", nil, "https://gw/scim/v2")
	if r.Active == nil || *r.Active || r.Meta.Location != "https://gw/scim/v2/Users/u1" || r.Emails[0].Value != "a@example.com" {
		t.Fatalf("rendered %+v", r)
	}
}

func FuzzDecoders(f *testing.F) {
	for _, s := range []string{
		`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"Operations":[{"op":"remove","path":"members[value eq \"u2\"]"}]}`,
		`{"Operations":[{"op":"add","value":{"members":[{"value":"u6"}],"displayName":"x"}}]}`,
		`{"userName":"a","emails":[{"value":"x","primary":"true"}],"active":true}`,
		`{"displayName":"g","members":[{"value":"u1"}]}`,
	} {
		f.Add([]byte(s), `userName eq "x"`)
	}
	f.Fuzz(func(t *testing.T, data []byte, filter string) {
		if p, err := DecodePatch(data); err == nil {
			if _, err := p.UserChanges(); err != nil {
				errField(t, err)
			}
			if c, err := p.GroupChanges(); err == nil {
				c.MemberDiff([]string{"u1", "u2"})
			} else {
				errField(t, err)
			}
		} else {
			errField(t, err)
		}
		if u, err := DecodeUser(data); err == nil {
			ProfileOf(u)
		} else {
			errField(t, err)
		}
		if _, err := DecodeGroup(data); err != nil {
			errField(t, err)
		}
		if _, err := ParseFilter(filter); err != nil && errField(t, err) != FieldFilter {
			t.Fatalf("filter error without the filter field: %v", err)
		}
	})
}
