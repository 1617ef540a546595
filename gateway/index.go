package gateway

import (
	"encoding/binary"
	"hash/maphash"
	"iter"
)

// indexShards is how many maps an index is split into. A change copies one shard, not the
// whole index, so with 100,000 keys an admin write copies a few hundred entries; a lookup pays
// one extra hash of the key.
const indexShards = 256

// index is a map that a Snapshot shares with the Snapshots derived from it: with and without
// return a new index that copies only the shard they touch. Lookups allocate nothing.
type index[K comparable, V any] struct {
	shardOf func(K) uint64
	shards  [indexShards]map[K]V
	n       int
}

var indexSeed = maphash.MakeSeed()

func hashString(s string) uint64 { return maphash.String(indexSeed, s) }

// hashKeyHash shards by the key hash itself: it is already uniformly random.
func hashKeyHash(h [32]byte) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

func newStringIndex[V any](hint int) *index[string, V] { return newIndex[string, V](hashString, hint) }

func newIndex[K comparable, V any](shardOf func(K) uint64, hint int) *index[K, V] {
	x := &index[K, V]{shardOf: shardOf}
	if per := hint / indexShards; per > 0 {
		for i := range x.shards {
			x.shards[i] = make(map[K]V, per)
		}
	}
	return x
}

func (x *index[K, V]) get(k K) V { return x.shards[x.shardOf(k)%indexShards][k] }

func (x *index[K, V]) len() int { return x.n }

// set is for building a fresh index only: it changes x in place.
func (x *index[K, V]) set(k K, v V) {
	i := x.shardOf(k) % indexShards
	if x.shards[i] == nil {
		x.shards[i] = make(map[K]V)
	}
	if _, ok := x.shards[i][k]; !ok {
		x.n++
	}
	x.shards[i][k] = v
}

// with returns a copy of x where k maps to v; x is unchanged.
func (x *index[K, V]) with(k K, v V) *index[K, V] {
	i := x.shardOf(k) % indexShards
	c := *x
	c.shards[i] = make(map[K]V, len(x.shards[i])+1)
	for kk, vv := range x.shards[i] {
		c.shards[i][kk] = vv
	}
	if _, ok := x.shards[i][k]; !ok {
		c.n++
	}
	c.shards[i][k] = v
	return &c
}

// without returns a copy of x without k (x itself when k is absent).
func (x *index[K, V]) without(k K) *index[K, V] {
	i := x.shardOf(k) % indexShards
	if _, ok := x.shards[i][k]; !ok {
		return x
	}
	c := *x
	c.shards[i] = make(map[K]V, len(x.shards[i]))
	for kk, vv := range x.shards[i] {
		if kk != k {
			c.shards[i][kk] = vv
		}
	}
	c.n--
	return &c
}

// values yields every value in no particular order.
func (x *index[K, V]) values() iter.Seq[V] {
	return func(yield func(V) bool) {
		for _, m := range x.shards {
			for _, v := range m {
				if !yield(v) {
					return
				}
			}
		}
	}
}
