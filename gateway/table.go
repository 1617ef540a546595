package gateway

import "iter"

// table is the compact form of a Snapshot's large sets (100,000 users, 100,000 keys): records
// stored by value in dense slices, found through open addressing on 4-byte slots, instead of a
// map of pointers to separately allocated records. That costs about a third of the memory and
// one allocation per shard instead of several per record. Like index it is split into
// indexShards immutable shards, so a change copies one shard: an admin write costs what changed.
type table[K comparable, R any] struct {
	spec   *tableSpec[K, R]
	shards [indexShards]*shard[K, R]
	n      int
}

// tableSpec says how a table finds a record's key and spreads keys over shards and slots.
type tableSpec[K comparable, R any] struct {
	key  func(*R) K
	hash func(K) uint64
}

// shard is immutable once built. slots holds 1 + a position in recs, 0 when free; its length
// is a power of two at least twice len(recs), so probes stay short.
type shard[K comparable, R any] struct {
	recs  []R
	slots []uint32
}

// newTable builds a table of recs; when two share a key the later one is kept.
func newTable[K comparable, R any](spec *tableSpec[K, R], recs []R) *table[K, R] {
	t := &table[K, R]{spec: spec}
	var counts [indexShards]int
	for i := range recs {
		counts[spec.hash(spec.key(&recs[i]))%indexShards]++
	}
	for i, n := range counts {
		if n > 0 {
			t.shards[i] = &shard[K, R]{recs: make([]R, 0, n), slots: make([]uint32, slotsFor(n))}
		}
	}
	for i := range recs {
		h := spec.hash(spec.key(&recs[i]))
		s := t.shards[h%indexShards]
		if s.put(spec, h, recs[i]) {
			t.n++
		}
	}
	return t
}

// slotsFor is the slot count for n records: the power of two at least 2n (and 4).
func slotsFor(n int) int {
	size := 4
	for size < 2*n {
		size <<= 1
	}
	return size
}

// put adds r, or replaces the record with r's key in place, and reports whether it added. The
// shard must have room (slots sized for its final count): only builders call it.
func (s *shard[K, R]) put(spec *tableSpec[K, R], h uint64, r R) bool {
	k, mask := spec.key(&r), uint64(len(s.slots)-1)
	for i := (h / indexShards) & mask; ; i = (i + 1) & mask {
		switch slot := s.slots[i]; {
		case slot == 0:
			s.recs = append(s.recs, r)
			s.slots[i] = uint32(len(s.recs))
			return true
		case spec.key(&s.recs[slot-1]) == k:
			s.recs[slot-1] = r
			return false
		}
	}
}

// find returns the record of s that hash h leads to and match accepts, or nil.
func (s *shard[K, R]) find(h uint64, match func(*R) bool) *R {
	if s == nil {
		return nil
	}
	mask := uint64(len(s.slots) - 1)
	for i := (h / indexShards) & mask; ; i = (i + 1) & mask {
		slot := s.slots[i]
		if slot == 0 {
			return nil
		}
		if r := &s.recs[slot-1]; match(r) {
			return r
		}
	}
}

// get returns the record with key k, or nil. The record is shared: callers must not modify it.
func (t *table[K, R]) get(k K) *R {
	h := t.spec.hash(k)
	return t.shards[h%indexShards].find(h, func(r *R) bool { return t.spec.key(r) == k })
}

// findByHash returns the record whose key hashes to h and that match accepts, or nil: how a
// second index that keeps only the hash of a record's key reaches the record.
func (t *table[K, R]) findByHash(h uint64, match func(*R) bool) *R {
	return t.shards[h%indexShards].find(h, match)
}

func (t *table[K, R]) len() int { return t.n }

// with returns a copy of t holding r (replacing the record with its key); t is unchanged.
func (t *table[K, R]) with(r R) *table[K, R] {
	h := t.spec.hash(t.spec.key(&r))
	c := *t
	old := t.shards[h%indexShards]
	var recs []R
	if old != nil {
		recs = old.recs
	}
	s := &shard[K, R]{recs: make([]R, 0, len(recs)+1), slots: make([]uint32, slotsFor(len(recs)+1))}
	for i := range recs {
		s.put(t.spec, t.spec.hash(t.spec.key(&recs[i])), recs[i])
	}
	if s.put(t.spec, h, r) {
		c.n++
	}
	c.shards[h%indexShards] = s
	return &c
}

// without returns a copy of t without the record with key k (t itself when there is none).
func (t *table[K, R]) without(k K) *table[K, R] {
	if t.get(k) == nil {
		return t
	}
	h := t.spec.hash(k)
	old := t.shards[h%indexShards]
	c := *t
	c.n--
	if len(old.recs) == 1 {
		c.shards[h%indexShards] = nil
		return &c
	}
	s := &shard[K, R]{recs: make([]R, 0, len(old.recs)-1), slots: make([]uint32, slotsFor(len(old.recs)-1))}
	for i := range old.recs {
		if kk := t.spec.key(&old.recs[i]); kk != k {
			s.put(t.spec, t.spec.hash(kk), old.recs[i])
		}
	}
	c.shards[h%indexShards] = s
	return &c
}

// values yields every record in no particular order; they are shared, not to be modified.
func (t *table[K, R]) values() iter.Seq[*R] {
	return func(yield func(*R) bool) {
		for _, s := range t.shards {
			if s == nil {
				continue
			}
			for i := range s.recs {
				if !yield(&s.recs[i]) {
					return
				}
			}
		}
	}
}
