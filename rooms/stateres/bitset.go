package stateres

import "math/bits"

// bitset is a set of graph nodes.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int32)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int32) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

// each calls f for every member, in increasing order.
func (b bitset) each(f func(int32)) {
	for w, word := range b {
		for word != 0 {
			t := bits.TrailingZeros64(word)
			f(int32(w<<6 + t))
			word &= word - 1
		}
	}
}

// count returns the number of members.
func (b bitset) count() int {
	c := 0
	for _, w := range b {
		c += bits.OnesCount64(w)
	}
	return c
}
