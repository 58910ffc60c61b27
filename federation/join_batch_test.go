package federation

import (
	"crypto/ed25519"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"testing"
)

// batchOf signs n messages with keys (round robin) and returns the checks.
func batchOf(tb testing.TB, n int, keys []ed25519.PrivateKey) []sigCheck {
	tb.Helper()
	out := make([]sigCheck, n)
	for i := range out {
		k := keys[i%len(keys)]
		msg := []byte(fmt.Sprintf(`{"n":%d,"padding":"%0200d"}`, i, i))
		out[i] = sigCheck{public: k.Public().(ed25519.PublicKey), message: msg, sig: ed25519.Sign(k, msg)}
	}
	return out
}

func testKeys(n int) []ed25519.PrivateKey {
	keys := make([]ed25519.PrivateKey, n)
	for i := range keys {
		seed := make([]byte, ed25519.SeedSize)
		seed[0] = byte(i + 1)
		keys[i] = ed25519.NewKeyFromSeed(seed)
	}
	return keys
}

func singles(checks []sigCheck) bool {
	for _, c := range checks {
		if len(c.public) != ed25519.PublicKeySize || !ed25519.Verify(c.public, c.message, c.sig) {
			return false
		}
	}
	return true
}

// groupOrder is ℓ, the order of the ed25519 base point.
var groupOrder, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

func TestVerifyBatch(t *testing.T) {
	keys := testKeys(3)
	mutate := func(f func(c []sigCheck)) []sigCheck {
		c := batchOf(t, 40, keys)
		f(c)
		return c
	}
	nonCanonicalS := func(c []sigCheck) {
		// S + ℓ verifies the same equation but is not canonical (RFC 8032
		// §5.1.7 step 1 rejects it, as does crypto/ed25519).
		s := c[7].sig[32:]
		le := make([]byte, 32)
		for i := range le {
			le[i] = s[31-i]
		}
		v := new(big.Int).Add(new(big.Int).SetBytes(le), groupOrder).FillBytes(make([]byte, 32))
		sig := append([]byte(nil), c[7].sig[:32]...)
		for i := range v {
			sig = append(sig, v[31-i])
		}
		c[7].sig = sig
	}
	identityR := func(c []sigCheck) {
		sig := append([]byte(nil), c[3].sig...)
		copy(sig, append([]byte{1}, make([]byte, 31)...))
		c[3].sig = sig
	}
	nonCanonicalR := func(c []sigCheck) {
		sig := append([]byte(nil), c[3].sig...)
		sig[0] = 0xee
		for i := 1; i < 31; i++ {
			sig[i] = 0xff
		}
		sig[31] = 0x7f
		c[3].sig = sig
	}
	cases := []struct {
		name   string
		checks []sigCheck
		want   bool
	}{
		{"empty", nil, true},
		{"one", batchOf(t, 1, keys[:1]), true},
		{"64 signatures of one key", batchOf(t, 64, keys[:1]), true},
		{"40 signatures of three keys", batchOf(t, 40, keys), true},
		{"one flipped bit in S", mutate(func(c []sigCheck) { c[5].sig = flip(c[5].sig, 40) }), false},
		{"one flipped bit in R", mutate(func(c []sigCheck) { c[9].sig = flip(c[9].sig, 2) }), false},
		{"one changed message", mutate(func(c []sigCheck) { c[39].message = []byte(`{"n":0}`) }), false},
		{"signatures swapped", mutate(func(c []sigCheck) { c[1].sig, c[2].sig = c[2].sig, c[1].sig }), false},
		{"wrong key", mutate(func(c []sigCheck) { c[0].public = c[1].public }), false},
		{"S not canonical", mutate(nonCanonicalS), false},
		{"R of small order", mutate(identityR), false},
		{"R not canonical", mutate(nonCanonicalR), false},
		{"short signature", mutate(func(c []sigCheck) { c[4].sig = c[4].sig[:63] }), false},
		{"short key", mutate(func(c []sigCheck) { c[4].public = c[4].public[:31] }), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := verifyBatch(c.checks); got != c.want {
				t.Fatalf("verifyBatch = %v, want %v", got, c.want)
			}
			if single := len(c.checks) == 0 || singles(c.checks); single != c.want {
				t.Fatalf("one by one = %v, want %v: the case is wrong", single, c.want)
			}
		})
	}
}

// A batch agrees with checking one by one on random corruptions.
func TestVerifyBatchAgreesWithSingleChecks(t *testing.T) {
	keys := testKeys(2)
	r := mrand.New(mrand.NewPCG(1, 2))
	for i := range 200 {
		checks := batchOf(t, 1+r.IntN(20), keys)
		if r.IntN(2) == 0 {
			j := r.IntN(len(checks))
			checks[j].sig = flip(checks[j].sig, r.IntN(512))
		}
		if got, want := verifyBatch(checks), singles(checks); got != want {
			t.Fatalf("round %d: batch %v, one by one %v", i, got, want)
		}
	}
}

func flip(b []byte, bit int) []byte {
	out := append([]byte(nil), b...)
	out[bit/8] ^= 1 << (bit % 8)
	return out
}

// BenchmarkSignatureBatch compares checking 64 event-sized signatures of
// one server one by one (crypto/ed25519) with one verifyBatch.
func BenchmarkSignatureBatch(b *testing.B) {
	checks := batchOf(b, checkChunk, testKeys(1))
	b.Run("single", func(b *testing.B) {
		for b.Loop() {
			if !singles(checks) {
				b.Fatal("invalid")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(checks)), "ns/signature")
	})
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			if !verifyBatch(checks) {
				b.Fatal("invalid")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(checks)), "ns/signature")
	})
}
