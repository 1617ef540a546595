//go:build scale

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/internal/e2e"
)

const (
	soakSample   = 10 * time.Second // how often the soak reads the gateway's RSS
	soakMaxDrift = 0.05             // every sample within ±5 % of the mean
)

// soakAtScale sends queries at a steady rate (SCALE_SOAK_RPS, default 100 a second, spread
// over the sample users' keys) for d, reads the gateway's RSS every soakSample once a warm-up
// of a tenth of d has passed, and passes when every sample is within ±soakMaxDrift of their
// mean. Any query that is not answered 200 fails the test. (The heap takes a minute or two
// of load to reach the collector's goal, twice what is live: a shorter warm-up judges that
// climb, not the steady state.)
func soakAtScale(t *testing.T, g *e2e.Gateway, endpoint string, keys []string, d time.Duration) {
	rps := 100
	if v := os.Getenv("SCALE_SOAK_RPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("SCALE_SOAK_RPS=%q is not a positive number", v)
		}
		rps = n
	}
	warmup := d / 10
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var sent, failed atomic.Int64
	var firstFailure atomic.Value
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range soakCallers {
		wg.Go(func() {
			for key := range jobs {
				r, err := e2e.Try(ctx, g.URL, "POST", "/v1/chat/completions", map[string]string{"Authorization": "Bearer " + key},
					e2e.ChatBody(endpoint, "soak", false))
				sent.Add(1)
				if ctx.Err() == nil && (err != nil || r.Status != http.StatusOK) {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprint(err, r))
				}
			}
		})
	}
	start := time.Now()
	samples := driveSoak(ctx, t, g.PID(), jobs, keys, rps, start.Add(warmup))
	close(jobs)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d soak queries failed; first: %v", n, sent.Load(), firstFailure.Load())
	}
	judgeSoak(t, samples, d, sent.Load(), time.Since(start))
}

// driveSoak hands out a key per tick at rps until ctx ends and returns the RSS samples taken
// after warmedUp.
func driveSoak(ctx context.Context, t *testing.T, pid int, jobs chan<- string, keys []string, rps int, warmedUp time.Time) []float64 {
	tick := time.NewTicker(time.Second / time.Duration(rps))
	defer tick.Stop()
	sample := time.NewTicker(soakSample)
	defer sample.Stop()
	var samples []float64
	for i := 0; ; {
		select {
		case <-ctx.Done():
			return samples
		case now := <-sample.C:
			if now.After(warmedUp) {
				samples = append(samples, rssMiB(t, pid))
			}
		case <-tick.C:
			select {
			case jobs <- keys[i%len(keys)]:
				i++
			case <-ctx.Done():
				return samples
			}
		}
	}
}

// judgeSoak logs the samples' spread and PASS/FAIL against soakMaxDrift.
func judgeSoak(t *testing.T, samples []float64, d time.Duration, sent int64, took time.Duration) {
	t.Helper()
	if len(samples) < 2 {
		t.Fatalf("soak of %s took %d RSS samples: too short to judge", d, len(samples))
	}
	lo, hi, sum := samples[0], samples[0], 0.0
	for _, s := range samples {
		lo, hi, sum = min(lo, s), max(hi, s), sum+s
	}
	mean := sum / float64(len(samples))
	t.Logf("soak %s at %.0f queries/s: %d RSS samples, min %.1f MiB, mean %.1f MiB, max %.1f MiB (%+.1f %% / %+.1f %% of the mean)",
		d, float64(sent)/took.Seconds(), len(samples), lo, mean, hi, 100*(lo-mean)/mean, 100*(hi-mean)/mean)
	verdict(t, fmt.Sprintf("RSS flat over the soak: every sample within ±%.0f %% of the mean", 100*soakMaxDrift),
		hi <= mean*(1+soakMaxDrift) && lo >= mean*(1-soakMaxDrift))
	verdict(t, fmt.Sprintf("RSS over the soak %.1f MiB ≤ %d MiB", hi, scaleMaxRSSMiB), hi <= scaleMaxRSSMiB)
}
