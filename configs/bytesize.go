package configs

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var sizeUnits = []struct {
	suffix string
	factor int64
}{
	{"T", 1 << 40},
	{"G", 1 << 30},
	{"M", 1 << 20},
	{"K", 1 << 10},
}

// ParseByteSize reads a size: a bare integer is bytes; a whole number followed
// by K, M, G or T (optionally "B" or "iB", any case) multiplies by 1024, as
// Synapse's "50M" does. Negative values and overflow are refused.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w: empty size", ErrInvalid)
	}
	num, factor := strings.ToUpper(s), int64(1)
	if strings.HasSuffix(num, "IB") {
		num = num[:len(num)-2]
		if num == "" || !strings.ContainsAny(num[len(num)-1:], "KMGT") {
			return 0, fmt.Errorf("%w: size %q: iB needs K, M, G or T before it", ErrInvalid, s)
		}
	} else {
		num = strings.TrimSuffix(num, "B")
	}
	for _, u := range sizeUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, factor = strings.TrimSpace(num[:len(num)-1]), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: size %q: want bytes or a whole number with K, M, G or T", ErrInvalid, s)
	}
	if n < 0 {
		return 0, fmt.Errorf("%w: negative size %q", ErrInvalid, s)
	}
	if n > math.MaxInt64/factor {
		return 0, fmt.Errorf("%w: size %q overflows", ErrInvalid, s)
	}
	return ByteSize(n * factor), nil
}

// String writes b with the largest unit that divides it exactly.
func (b ByteSize) String() string {
	for _, u := range sizeUnits {
		if b != 0 && int64(b)%u.factor == 0 {
			return strconv.FormatInt(int64(b)/u.factor, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// UnmarshalYAML accepts an integer or a string such as "50M".
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: want a size such as 52428800 or 50M", ErrWrongType)
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalYAML writes the String form.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }
