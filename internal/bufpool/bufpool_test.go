package bufpool

import "testing"

func TestGetHasRoomAndIsEmpty(t *testing.T) {
	for _, n := range []int{0, 1, 4 << 10, 100 << 10} {
		b := Get(n)
		if len(*b) != 0 || cap(*b) < n {
			t.Fatalf("Get(%d): len %d cap %d", n, len(*b), cap(*b))
		}
		*b = append(*b, "used"...)
		Put(b)
		if again := Get(n); len(*again) != 0 || cap(*again) < n {
			t.Fatalf("Get(%d) after Put: len %d cap %d", n, len(*again), cap(*again))
		}
	}
}
