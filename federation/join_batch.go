package federation

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// sigCheck is one ed25519 signature to check: the key, the signed bytes
// and the 64-byte signature R || S.
type sigCheck struct {
	public  ed25519.PublicKey
	message []byte
	sig     []byte
}

// verifyBatch reports whether every signature of checks verifies, with one
// multi-scalar multiplication for the lot: about a third of the cost of
// checking them one by one (see BenchmarkSignatureBatch). For random
// 128-bit z_i, with h_i = SHA-512(R_i || A_i || M_i) mod ℓ, it checks
//
//	[8]( Σ z_i·R_i + Σ (z_i·h_i)·A_i − (Σ z_i·S_i)·B ) = 0,
//
// which each valid signature satisfies (RFC 8032 §5.1.7 gives the single
// equation). It is cofactored: a signature whose R differs from the valid
// one by a point of small order passes here and fails crypto/ed25519's
// cofactorless check. Only the key's owner can make such a signature, so
// this admits nothing a forger could make. The batch fails, and callers
// then check one by one, on a non-canonical S, R or A, an R or A of small
// order, or any invalid signature (false positives: about 2^-128).
func verifyBatch(checks []sigCheck) bool {
	if len(checks) == 0 {
		return true
	}
	n := len(checks)
	randomness := make([]byte, 16*n)
	if _, err := rand.Read(randomness); err != nil {
		return false
	}
	points := make([]*edwards25519.Point, 0, n+8)
	scalars := make([]*edwards25519.Scalar, 0, n+8)
	sumS := edwards25519.NewScalar()
	keyScalars := map[string]*edwards25519.Scalar{}
	var keyOrder []string
	var wide [64]byte
	h := sha512.New()
	for i, c := range checks {
		if len(c.public) != ed25519.PublicKeySize || len(c.sig) != ed25519.SignatureSize {
			return false
		}
		rBytes, sBytes := c.sig[:32], c.sig[32:]
		s, err := edwards25519.NewScalar().SetCanonicalBytes(sBytes)
		if err != nil {
			return false
		}
		if !canonicalPoint(rBytes) || !canonicalPoint(c.public) {
			return false
		}
		r, err := new(edwards25519.Point).SetBytes(rBytes)
		if err != nil || smallOrder(r) {
			return false
		}
		h.Reset()
		h.Write(rBytes)
		h.Write(c.public)
		h.Write(c.message)
		hs, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(wide[:0]))
		if err != nil {
			return false
		}
		var zb [64]byte
		copy(zb[:16], randomness[16*i:16*i+16])
		z, err := edwards25519.NewScalar().SetUniformBytes(zb[:])
		if err != nil {
			return false
		}
		points = append(points, r)
		scalars = append(scalars, z)
		sumS.MultiplyAdd(z, s, sumS)
		k := string(c.public)
		ks, ok := keyScalars[k]
		if !ok {
			ks = edwards25519.NewScalar()
			keyScalars[k] = ks
			keyOrder = append(keyOrder, k)
		}
		ks.MultiplyAdd(z, hs, ks)
	}
	for _, k := range keyOrder {
		a, err := new(edwards25519.Point).SetBytes([]byte(k))
		if err != nil || smallOrder(a) {
			return false
		}
		points = append(points, a)
		scalars = append(scalars, keyScalars[k])
	}
	points = append(points, edwards25519.NewGeneratorPoint())
	scalars = append(scalars, edwards25519.NewScalar().Negate(sumS))
	sum := new(edwards25519.Point).VarTimeMultiScalarMult(scalars, points)
	return sum.MultByCofactor(sum).Equal(edwards25519.NewIdentityPoint()) == 1
}

// canonicalPoint reports whether a 32-byte point encoding is canonical:
// its y coordinate (the low 255 bits) is below p = 2^255 − 19. Decoders
// accept y ≥ p as y − p, but such an R never equals the encoding a
// single check computes.
func canonicalPoint(b []byte) bool {
	if len(b) != 32 {
		return false
	}
	if b[31]&0x7f != 0x7f {
		return true
	}
	for _, c := range b[1:31] {
		if c != 0xff {
			return true
		}
	}
	return b[0] < 0xed
}

// smallOrder reports whether p is of order dividing 8.
func smallOrder(p *edwards25519.Point) bool {
	q := new(edwards25519.Point).MultByCofactor(p)
	return q.Equal(edwards25519.NewIdentityPoint()) == 1
}
