package main

// gcBallastBytes is heap the process allocates at start and never touches (3 MiB).
//
// Go collects garbage when the heap reaches twice the live heap, and at least 4 MiB. A
// gateway's live heap is small (about 2 MiB: config, model map, pools), so under load it
// collected after every 3 MiB of garbage, dozens of times a second, and each collection's
// fixed cost (stacks, globals, sweeping) made garbage collection a tenth of its CPU. The
// ballast counts as live: the heap now doubles from 5 MiB, so collections come about 2.5 ×
// less often. It is pointer-free, so marking skips it, and never written, so its pages are
// never resident: it costs address space, not memory. With a large live heap (thousands of
// open streams) it is noise.
const gcBallastBytes = 3 << 20

// gcBallast keeps the ballast reachable for the life of the process.
var gcBallast []byte

// allocGCBallast allocates the ballast; main calls it first.
func allocGCBallast() { gcBallast = make([]byte, gcBallastBytes) }
