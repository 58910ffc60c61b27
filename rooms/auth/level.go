package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/axonhs/axon/rooms/version"
)

// ErrBadPowerLevel is returned for a power-level value the room version does
// not accept.
var ErrBadPowerLevel = errors.New("auth: invalid power level value")

// parseLevel reads one power-level value as room version v allows it:
//
//   - v10 and later (IntegerPowerLevels): JSON integers only ("Values in
//     m.room.power_levels events must be integers", v10.md).
//   - v1–v9: also strings holding a base-10 integer, with optional sign,
//     leading zeroes and surrounding whitespace (fragment
//     v1-stringy-power-levels).
//   - v1–v5 (FloatPowerLevels): also floats, in exponent notation or
//     not, truncated at the decimal point; values outside the binary64 range
//     are refused (fragment v1-floaty-power-levels).
func parseLevel(v version.Spec, raw json.RawMessage) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0, fmt.Errorf("%w: empty", ErrBadPowerLevel)
	}
	switch c := raw[0]; {
	case c == '"':
		if v.IntegerPowerLevels {
			return 0, fmt.Errorf("%w: string %s in room version %s", ErrBadPowerLevel, raw, v.ID)
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("%w: %v", ErrBadPowerLevel, err)
		}
		return parseStringyLevel(s)
	case c == '-' || isDigit(c):
		if bytes.IndexAny(raw, ".eE") < 0 {
			n, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%w: %s", ErrBadPowerLevel, raw)
			}
			return n, nil
		}
		if !v.FloatPowerLevels || v.IntegerPowerLevels {
			return 0, fmt.Errorf("%w: non-integer %s in room version %s", ErrBadPowerLevel, raw, v.ID)
		}
		return parseFloatyLevel(string(raw))
	default:
		return 0, fmt.Errorf("%w: %s is not a number", ErrBadPowerLevel, raw)
	}
}

// parseStringyLevel implements the grammar of v1-stringy-power-levels.
func parseStringyLevel(s string) (int64, error) {
	t := strings.TrimSpace(s)
	digits := t
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		digits = digits[1:]
	}
	if digits == "" || !allBytes(digits, isDigit) {
		return 0, fmt.Errorf("%w: string %q is not an integer", ErrBadPowerLevel, s)
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: string %q out of range", ErrBadPowerLevel, s)
	}
	return n, nil
}

// parseFloatyLevel implements v1-floaty-power-levels: apply the exponent,
// then truncate towards zero.
func parseFloatyLevel(s string) (int64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%w: %s outside binary64", ErrBadPowerLevel, s)
	}
	t := math.Trunc(f)
	if t < math.MinInt64 || t >= math.MaxInt64 {
		return 0, fmt.Errorf("%w: %s out of range", ErrBadPowerLevel, s)
	}
	return int64(t), nil
}
