package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"sync/atomic"
	"time"
)

var idPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// processUnique and idCounter make ids laid out like MongoDB ObjectIds (Domino's ids): 4 bytes
// of seconds, 5 random bytes chosen once per process, 3 bytes of a counter starting at a random
// value. Ids from different processes differ by the random part; ids from one process sort in
// creation order, which keeps listings ordered by (creation time, id) in creation order.
var (
	processUnique [5]byte
	idCounter     atomic.Uint32
)

func init() {
	var seed [4]byte
	if _, err := rand.Read(processUnique[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	if _, err := rand.Read(seed[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	idCounter.Store(binary.BigEndian.Uint32(seed[:]))
}

// NewID returns a new 24-hex id (see processUnique).
func NewID() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(time.Now().Unix()))
	copy(b[4:9], processUnique[:])
	n := idCounter.Add(1)
	b[9], b[10], b[11] = byte(n>>16), byte(n>>8), byte(n)
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s is a 24-hex lowercase id.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// NewSecret returns 256 random bits, URL-safe base64: session tokens, CSRF and OAuth state and
// nonce values — anything a guess must never hit.
func NewSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// NewRequestID returns a random UUIDv4 string used to correlate responses and logs.
func NewRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// Now returns the current time truncated to milliseconds in UTC: every timestamp llmgate
// stores or hashes has that precision, so it round-trips through every store unchanged.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// FormatTime renders t the way every API surface shows timestamps: RFC 3339, ms, Z.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
