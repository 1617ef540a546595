package gateway

import (
	"strings"
	"sync/atomic"
	"time"
)

// userRec is a user as a Snapshot keeps it: the five strings end to end in one string (a
// slice of one arena shared by every user of a load) and times as Unix microseconds, the
// stores' precision. It is 64 bytes where a User is 128 plus up to five string allocations.
// The User callers see is made on first use and then shared (shared), so only the users who
// call cost a whole User, and a request allocates nothing for its user.
type userRec struct {
	s           string
	ends        [4]uint32 // where ID, UserName, Email and FirstName end in s
	created     int64
	deactivated int64 // notDeactivated when active
	admin       bool
	// made holds the User made from this record, nil until first use. It is set once and
	// never changes (a changed user gets a new record), so copies of the record share it.
	made *atomic.Pointer[User]
}

const notDeactivated = 0

func (r *userRec) id() string   { return r.s[:r.ends[0]] }
func (r *userRec) name() string { return r.s[r.ends[0]:r.ends[1]] }

func (r *userRec) active() bool { return r.deactivated == notDeactivated }

// user is r as a User; its strings share r's memory (strings are immutable), the rest is a
// copy callers may keep and change.
func (r *userRec) user() User {
	u := User{ID: r.id(), UserName: r.name(), Email: r.s[r.ends[1]:r.ends[2]], FirstName: r.s[r.ends[2]:r.ends[3]],
		LastName: r.s[r.ends[3]:], Admin: r.admin, CreatedAt: time.UnixMicro(r.created).UTC()}
	if r.deactivated != notDeactivated {
		t := time.UnixMicro(r.deactivated).UTC()
		u.DeactivatedAt = &t
	}
	return u
}

// shared returns the User of r, made once; callers must not modify it.
func (r *userRec) shared() *User {
	if u := r.made.Load(); u != nil {
		return u
	}
	u := r.user()
	if r.made.CompareAndSwap(nil, &u) {
		return &u
	}
	return r.made.Load()
}

// userFields are the strings of u in the order userRec keeps them.
func userFields(u *User) [5]string {
	return [5]string{u.ID, u.UserName, u.Email, u.FirstName, u.LastName}
}

// newUserRec is u's record; its strings are one new allocation.
func newUserRec(u *User) userRec {
	f := userFields(u)
	r := userRec{s: strings.Join(f[:], ""), admin: u.Admin, created: u.CreatedAt.UnixMicro(), deactivated: notDeactivated,
		made: new(atomic.Pointer[User])}
	end := 0
	for i := range r.ends {
		end += len(f[i])
		r.ends[i] = uint32(end)
	}
	if u.DeactivatedAt != nil {
		// A deactivation at the epoch itself stays a deactivation.
		r.deactivated = max(u.DeactivatedAt.UnixMicro(), 1)
	}
	return r
}

// userRecs makes the records of users with all their strings in one new arena, so that none
// of the loader's many small strings outlives the load (they would pin half-empty spans).
func userRecs(users []User) []userRec {
	size := 0
	for i := range users {
		for _, f := range userFields(&users[i]) {
			size += len(f)
		}
	}
	var b strings.Builder
	b.Grow(size)
	recs := make([]userRec, len(users))
	made := make([]atomic.Pointer[User], len(users)) // one allocation for every record's cell
	starts := make([]int, len(users))
	for i := range users {
		starts[i] = b.Len()
		recs[i] = newUserRec(&users[i])
		b.WriteString(recs[i].s)
	}
	arena := b.String()
	for i := range recs {
		recs[i].s = arena[starts[i] : starts[i]+len(recs[i].s)]
		recs[i].made = &made[i]
	}
	return recs
}
