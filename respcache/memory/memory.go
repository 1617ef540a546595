// Package memory is the in-process respcache.Cache: least recently used entries go first
// once the entries pass a byte bound.
package memory

import (
	"container/list"
	"context"
	"sync"
	"time"
)

type entry struct {
	key     string
	value   []byte
	expires time.Time
}

// Cache is a byte-bounded LRU cache with per-entry expiry.
type Cache struct {
	mu       sync.Mutex
	max, now int64
	order    *list.List // front: most recent
	items    map[string]*list.Element
	clock    func() time.Time
}

// New returns a cache holding at most maxBytes of values.
func New(maxBytes int64) *Cache {
	return &Cache{max: maxBytes, order: list.New(), items: map[string]*list.Element{}, clock: time.Now}
}

// WithClock replaces the clock (tests).
func (c *Cache) WithClock(now func() time.Time) *Cache { c.clock = now; return c }

// Get implements respcache.Cache.
func (c *Cache) Get(_ context.Context, key string) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false, nil
	}
	e := el.Value.(*entry)
	if !c.clock().Before(e.expires) {
		c.remove(el)
		return nil, false, nil
	}
	c.order.MoveToFront(el)
	return e.value, true, nil
}

// Set implements respcache.Cache.
func (c *Cache) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if int64(len(value)) > c.max {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	c.items[key] = c.order.PushFront(&entry{key: key, value: value, expires: c.clock().Add(ttl)})
	c.now += int64(len(value))
	for c.now > c.max {
		c.remove(c.order.Back())
	}
	return nil
}

func (c *Cache) remove(el *list.Element) {
	e := el.Value.(*entry)
	c.order.Remove(el)
	delete(c.items, e.key)
	c.now -= int64(len(e.value))
}

// Bytes is the size of the values held.
func (c *Cache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
