// Package bufpool recycles the byte buffers of request and answer bodies, so a large prompt or
// answer costs the gateway no allocation (and no garbage-collector work) per request.
package bufpool

import "sync"

// MaxPooled is the largest buffer put back (1 MiB): a rare huge body does not stay resident.
const MaxPooled = 1 << 20

// minSize is the smallest buffer Get makes (4 KiB).
const minSize = 4 << 10

var pool sync.Pool // *[]byte

// Get returns an empty buffer with room for at least n bytes. Give it back with Put once
// nothing refers to its bytes any more.
func Get(n int) *[]byte {
	if v, ok := pool.Get().(*[]byte); ok {
		if cap(*v) >= n {
			*v = (*v)[:0]
			return v
		}
		pool.Put(v)
	}
	b := make([]byte, 0, max(n, minSize))
	return &b
}

// Put returns b to the pool (unless it is over MaxPooled); nothing may use it afterwards.
func Put(b *[]byte) {
	if cap(*b) <= MaxPooled {
		pool.Put(b)
	}
}
