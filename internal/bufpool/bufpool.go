// Package bufpool recycles the byte buffers of request and answer bodies, so a large prompt or
// answer costs the gateway no allocation (and no garbage-collector work) per request.
package bufpool

import "sync"

// MaxPooled is the largest buffer put back (1 MiB): a rare huge body does not stay resident.
const MaxPooled = 1 << 20

// MinPooled is the smallest buffer Get makes and Put keeps (4 KiB). Below it an exact
// allocation is cheaper, and holds less memory for as long as a stream lasts.
const MinPooled = 4 << 10

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
	b := make([]byte, 0, max(n, MinPooled))
	return &b
}

// Put returns b to the pool (unless its capacity is outside [MinPooled, MaxPooled]); nothing
// may use it afterwards.
func Put(b *[]byte) {
	if c := cap(*b); c >= MinPooled && c <= MaxPooled {
		pool.Put(b)
	}
}
