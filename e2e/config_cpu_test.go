//go:build scale

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/internal/procstat"
)

// Per-request CPU at configuration scale (issue 13 target 5: "unchanged within noise"): the
// gateway holding 10,000 endpoints, 100,000 users and keys against a small gateway started
// beside it that holds only the callers (a user and key for each of the scale's sample keys)
// and the endpoint, under the same load in alternating turns, so that the machine's drift
// reaches both alike. Both are called by as many distinct users: what a query costs depends
// on that too (each user has rows of hourly usage to update, limits, key use), and only the
// configuration's size is to differ. CPU is the process's own (/proc, as make bench counts
// it), summed over the turns.
const (
	cpuRounds  = 10   // turns each gateway gets
	cpuTurn    = 1500 // queries per turn
	cpuCallers = 8
	// cpuNoise is the ratio taken as "unchanged": the spread of turn-to-turn figures on
	// the 2-core reference machine is of this order.
	cpuNoise = 1.10
)

// cpuSide is one gateway under comparison and what it is queried with.
type cpuSide struct {
	name     string
	g        *e2e.Gateway
	endpoint string
	keys     []string
	cpu      time.Duration
	queries  int
}

func compareCPUWithSmallGateway(t *testing.T, scale *e2e.Gateway, endpoint string, keys []string, fakeURL string) {
	small := e2e.Start(t, e2e.Options{DataDir: t.TempDir()})
	small.CreateEndpoint(t, e2e.OpenAIEndpoint(endpoint, fakeURL+"/v1", fakeupstream.DefaultKey("openai")))
	sides := []*cpuSide{{name: "at scale", g: scale, endpoint: endpoint, keys: keys},
		{name: "small", g: small, endpoint: endpoint, keys: callers(t, small, len(keys))}}
	for _, s := range sides {
		s.turn(t, 200) // warm-up, not counted
		s.cpu, s.queries = 0, 0
	}
	var perRound []string
	for round := range cpuRounds {
		first, second := sides[round%2], sides[1-round%2] // alternate who goes first
		a, b := first.turn(t, cpuTurn), second.turn(t, cpuTurn)
		perRound = append(perRound, fmt.Sprintf("%s %s/%s %s", first.name, us(a), second.name, us(b)))
	}
	at, base := sides[0].perQuery(), sides[1].perQuery()
	ratio := float64(at) / float64(base)
	t.Logf("CPU per query, %d turns of %d queries at %d callers each: %v", cpuRounds, cpuTurn, cpuCallers, perRound)
	verdict(t, fmt.Sprintf("CPU per query at scale %s vs a gateway holding only its %d callers %s = %.2f× ≤ %.2f×",
		us(at), len(keys), us(base), ratio, cpuNoise), ratio <= cpuNoise)
}

// callers creates n users on g, each with a key, through the admin API, and returns the keys.
func callers(t *testing.T, g *e2e.Gateway, n int) []string {
	keys := make([]string, 0, n)
	for i := range n {
		var u struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		}
		r := g.Do(t, "POST", "/api/users/v1/users", g.AdminKey, map[string]string{"userName": fmt.Sprintf("caller-%04d", i),
			"email": fmt.Sprintf("caller-%04d@example.org", i)})
		if r.Status != http.StatusOK {
			t.Fatalf("creating caller %d: %d %s", i, r.Status, r.Body)
		}
		r.JSON(t, &u)
		var k struct {
			Token string `json:"token"`
		}
		r = g.Do(t, "POST", "/api/pat/v1/users/"+u.User.ID+"/tokens", g.AdminKey, map[string]string{"name": "cpu"})
		if r.Status != http.StatusOK {
			t.Fatalf("creating caller %d's key: %d %s", i, r.Status, r.Body)
		}
		r.JSON(t, &k)
		keys = append(keys, k.Token)
	}
	return keys
}

// turn sends n queries from cpuCallers callers, spread over the side's keys, adds the CPU the
// gateway used meanwhile to its sum and returns this turn's CPU per query.
func (s *cpuSide) turn(t *testing.T, n int) time.Duration {
	t.Helper()
	before := s.processCPU(t)
	var next, failed atomic.Int64
	var firstFailure atomic.Value
	var wg sync.WaitGroup
	body := e2e.ChatBody(s.endpoint, "how much CPU", false)
	for range cpuCallers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				r, err := e2e.Try(context.Background(), s.g.URL, "POST", "/v1/chat/completions",
					map[string]string{"Authorization": "Bearer " + s.keys[int(i)%len(s.keys)]}, body)
				if err != nil || r.Status != http.StatusOK {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprint(err, r))
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%s: %d of %d queries failed; first: %v", s.name, f, n, firstFailure.Load())
	}
	used := s.processCPU(t) - before
	s.cpu += used
	s.queries += n
	return used / time.Duration(n)
}

func (s *cpuSide) perQuery() time.Duration { return s.cpu / time.Duration(s.queries) }

func (s *cpuSide) processCPU(t *testing.T) time.Duration {
	st, err := procstat.Read(s.g.PID())
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	return st.CPU
}

func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)) }
