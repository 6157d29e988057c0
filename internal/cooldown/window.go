package cooldown

// failWindow is the recent failure instants (ns) of one counter, oldest first: ts[start:].
// Entries before start are dead and compacted away once they are half the slice, so add is
// amortized O(1) and the slice holds at most 2×(allowed+1) instants.
type failWindow struct {
	ts    []int64
	start int
}

// add records a failure at now and returns how many failures fall in (now - Window, now],
// counting at most allowed+1 — enough to tell whether allowed is exceeded.
func (w *failWindow) add(now int64, allowed int) int {
	w.ts = append(w.ts, now)
	for w.start < len(w.ts) && w.ts[w.start] <= now-int64(Window) {
		w.start++
	}
	w.start = max(w.start, len(w.ts)-(allowed+1))
	if w.start > 0 && w.start >= len(w.ts)/2 {
		w.ts = w.ts[:copy(w.ts, w.ts[w.start:])]
		w.start = 0
	}
	return len(w.ts) - w.start
}

// reset forgets every failure, keeping the buffer.
func (w *failWindow) reset() {
	w.ts = w.ts[:0]
	w.start = 0
}
