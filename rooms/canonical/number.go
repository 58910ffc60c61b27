package canonical

import (
	"math"
	"strconv"
)

// MaxSafeInteger is the largest magnitude an integer may have in canonical
// JSON: (2**53)-1 (appendices.md "Canonical JSON").
const MaxSafeInteger = 1<<53 - 1

// number scans an RFC 8259 number at e.pos and writes it canonically; see
// Canonicalize and CanonicalizeStrict for what each mode does.
func (e *encoder) number() error {
	in := e.in
	start, i := e.pos, e.pos
	neg := in[i] == '-'
	if neg {
		i++
	}
	intStart := i
	switch {
	case i < len(in) && in[i] == '0':
		i++
	case i < len(in) && in[i] >= '1' && in[i] <= '9':
		i = skipDigits(in, i+1)
	default:
		e.pos = i
		return e.fail(ErrSyntax)
	}
	intEnd := i
	fractional := false
	if i < len(in) && in[i] == '.' {
		fractional = true
		if i = skipDigits(in, i+1); i == intEnd+1 {
			e.pos = i
			return e.fail(ErrSyntax)
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		fractional = true
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		digits := i
		if i = skipDigits(in, i); i == digits {
			e.pos = i
			return e.fail(ErrSyntax)
		}
	}
	if fractional {
		if e.strict {
			return e.fail(ErrFloat)
		}
		e.pos = i
		return e.float(in[start:i])
	}
	digits := in[intStart:intEnd]
	if e.strict && !safeInteger(digits) {
		return e.fail(ErrIntegerRange)
	}
	e.pos = i
	if len(digits) == 1 && digits[0] == '0' {
		// "negative zero -0 MUST NOT appear".
		e.out = append(e.out, '0')
		return nil
	}
	if neg {
		e.out = append(e.out, '-')
	}
	e.out = append(e.out, digits...)
	return nil
}

func skipDigits(in []byte, i int) int {
	for i < len(in) && in[i] >= '0' && in[i] <= '9' {
		i++
	}
	return i
}

// safeInteger reports whether the decimal digits (no sign, no leading zeros)
// are at most MaxSafeInteger.
func safeInteger(digits []byte) bool {
	if len(digits) > 16 {
		return false
	}
	var v uint64
	for _, c := range digits {
		v = v*10 + uint64(c-'0')
	}
	return v <= MaxSafeInteger
}

// float writes a number with a fraction or exponent in lenient mode.
func (e *encoder) float(lit []byte) error {
	f, err := strconv.ParseFloat(string(lit), 64)
	if math.IsInf(f, 0) {
		return e.fail(ErrNumberRange)
	}
	if err != nil {
		return e.fail(ErrSyntax)
	}
	e.out = appendFloat(e.out, f)
	return nil
}

// appendFloat writes a finite double: as an integer if it is one in the safe
// range, otherwise the way Python's repr() does (shortest round-trip digits,
// exponent form when the decimal exponent is below -4 or above 15, ".0" on
// integral fixed-point values).
func appendFloat(dst []byte, f float64) []byte {
	if f == 0 {
		return append(dst, '0')
	}
	if f == math.Trunc(f) && math.Abs(f) <= MaxSafeInteger {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// 'e' with precision -1 gives the shortest digits as d.ddde±XX.
	var buf [32]byte
	sci := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	var digits []byte
	mantissa, exp := sci, 0
	for i, c := range sci {
		if c == 'e' {
			mantissa = sci[:i]
			exp, _ = strconv.Atoi(string(sci[i+1:]))
			break
		}
	}
	for _, c := range mantissa {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	if exp < -4 || exp >= 16 {
		dst = append(dst, digits[0])
		if len(digits) > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	point := exp + 1 // digits before the decimal point
	switch {
	case point <= 0:
		dst = append(dst, '0', '.')
		for ; point < 0; point++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	case point >= len(digits):
		dst = append(dst, digits...)
		for i := len(digits); i < point; i++ {
			dst = append(dst, '0')
		}
		return append(dst, '.', '0')
	default:
		dst = append(dst, digits[:point]...)
		dst = append(dst, '.')
		return append(dst, digits[point:]...)
	}
}
