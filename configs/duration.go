package configs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String writes d in the shortest form ParseDuration reads back.
func (d Duration) String() string {
	td := time.Duration(d)
	switch {
	case td == 0:
		return "0s"
	case td%(7*24*time.Hour) == 0:
		return strconv.FormatInt(int64(td/(7*24*time.Hour)), 10) + "w"
	case td%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	return td.String()
}

// longUnits are the suffixes Synapse accepts beyond Go's own units.
var longUnits = map[byte]time.Duration{
	'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour,
	'y': 365 * 24 * time.Hour,
}

// ParseDuration reads a duration the way homeserver.yaml writes them: a bare
// integer is milliseconds (as in Synapse), "<n>d", "<n>w" and "<n>y" are
// days, weeks and 365-day years, and anything else is Go's
// time.ParseDuration syntax ("30s", "1h30m", "250ms"). Negative values are
// refused.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w: empty duration", ErrInvalid)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("%w: negative duration %q", ErrInvalid, s)
		}
		if n > math.MaxInt64/int64(time.Millisecond) {
			return 0, fmt.Errorf("%w: duration %q overflows", ErrInvalid, s)
		}
		return Duration(time.Duration(n) * time.Millisecond), nil
	}
	if unit, ok := longUnits[s[len(s)-1]]; ok {
		n, err := strconv.ParseUint(s[:len(s)-1], 10, 63)
		if err != nil {
			return 0, fmt.Errorf("%w: duration %q: want a whole number before %q", ErrInvalid, s, s[len(s)-1:])
		}
		if n > uint64(math.MaxInt64/int64(unit)) {
			return 0, fmt.Errorf("%w: duration %q overflows", ErrInvalid, s)
		}
		return Duration(time.Duration(n) * unit), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: duration %q: want e.g. 30s, 5m, 1h, 7d or milliseconds", ErrInvalid, s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%w: negative duration %q", ErrInvalid, s)
	}
	return Duration(d), nil
}

// UnmarshalYAML accepts a scalar: an integer (milliseconds) or a string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: want a duration such as 30s or 7d", ErrWrongType)
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes the String form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
