package persistence

import "testing"

// FuzzReadComponent: decoding a key component never panics, and whatever
// appendComponent writes reads back unchanged with the rest untouched.
func FuzzReadComponent(f *testing.F) {
	f.Add([]byte{0, 5, 'a', 'l', 'i', 'c', 'e'}, "DEV")
	f.Add([]byte{0xFF, 0xFF}, "")
	f.Add([]byte{0}, "x")
	f.Fuzz(func(t *testing.T, raw []byte, s string) {
		if v, ok := readComponent(raw); ok && len(v)+2 > len(raw) {
			t.Fatalf("read %d bytes from %d", len(v)+2, len(raw))
		}
		if len(s) > maxKeyComponentBytes {
			return
		}
		k := appendComponent(nil, s)
		k = append(k, raw...)
		got, ok := readComponent(k)
		if !ok || got != s {
			t.Fatalf("round trip of %q gave %q, %v", s, got, ok)
		}
	})
}
