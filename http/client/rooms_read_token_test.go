package client

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseRoomToken(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want roomToken
		err  bool
	}{
		{in: "t0_0", want: roomToken{}},
		{in: "t12_345", want: roomToken{Topo: 12, Stream: 345}},
		{in: "t18446744073709551615_1", want: roomToken{Topo: math.MaxUint64, Stream: 1}},
		{in: "t18446744073709551616_1", err: true},
		{in: "", err: true},
		{in: "t", err: true},
		{in: "t1", err: true},
		{in: "t1_", err: true},
		{in: "t_1", err: true},
		{in: "s1_2", err: true},
		{in: "t01_2", err: true},
		{in: "t+1_2", err: true},
		{in: "t-1_2", err: true},
		{in: "t1_2_3", err: true},
		{in: "t1 _2", err: true},
		{in: "T1_2", err: true},
	} {
		got, err := parseRoomToken(tc.in)
		if tc.err {
			if !errors.Is(err, errBadToken) {
				t.Errorf("%q: got %v, %v; want errBadToken", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("%q writes back as %q", tc.in, got.String())
		}
	}
}

func TestRoomTokenOrder(t *testing.T) {
	a, b, c := roomToken{1, 9}, roomToken{2, 1}, roomToken{2, 3}
	if !a.less(b) || !b.less(c) || c.less(a) || a.less(a) {
		t.Fatal("positions are not ordered by (topo, stream)")
	}
}

// FuzzParseRoomToken: any string either fails with errBadToken or is a
// token that writes back to exactly the same string.
func FuzzParseRoomToken(f *testing.F) {
	for _, s := range []string{"t1_2", "t0_0", "t01_2", "t1_", "", "s5", "t18446744073709551616_0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := parseRoomToken(s)
		if err != nil {
			if !errors.Is(err, errBadToken) {
				t.Fatalf("%q: unexpected error %v", s, err)
			}
			return
		}
		if tok.String() != s {
			t.Fatalf("%q parsed as %v, which writes %q", s, tok, tok.String())
		}
	})
}

func TestParsePageFrom(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want pageFrom
		err  bool
	}{
		{in: "t3_9", want: pageFrom{room: roomToken{Topo: 3, Stream: 9}}},
		{in: "s345", want: pageFrom{room: roomToken{Stream: 345}, stream: true}},
		{in: "s345_678_333", want: pageFrom{room: roomToken{Stream: 345}, stream: true}},
		{in: "s", err: true},
		{in: "s_1", err: true},
		{in: "s01", err: true},
		{in: "sx_1", err: true},
		{in: "x1", err: true},
	} {
		got, err := parsePageFrom(tc.in)
		if tc.err {
			if !errors.Is(err, errBadToken) {
				t.Errorf("%q: %v, %v; want errBadToken", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParsePageFrom: any string is a room token, a stream token, or
// errBadToken; never a panic or another error.
func FuzzParsePageFrom(f *testing.F) {
	for _, s := range []string{"t1_2", "s5", "s5_6_7", "s", "s_", "t_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePageFrom(s)
		if err != nil {
			if !errors.Is(err, errBadToken) {
				t.Fatalf("%q: unexpected error %v", s, err)
			}
			return
		}
		if !p.stream && p.room.String() != s {
			t.Fatalf("%q read as room token %v", s, p.room)
		}
		if p.stream && !strings.HasPrefix(s, "s") {
			t.Fatalf("%q read as a stream token", s)
		}
	})
}
