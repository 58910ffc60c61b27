package auth

import (
	"encoding/json"
	"math"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// Creators returns the room's creators as room version v defines them:
// content.creator of m.room.create in v1–v10, its sender from v11 (v11.md
// "Remove the creator property"), plus content.additional_creators in v12
// (v12.md "room creators"). It is empty when the state has no create event.
func Creators(v version.Spec, state State) []string {
	return creators(v, state.Get(keyCreate))
}

func creators(v version.Spec, create *event.Event) []string {
	if create == nil {
		return nil
	}
	if v.CreatorInContent {
		var c struct {
			Creator any `json:"creator"`
		}
		if json.Unmarshal(create.Content, &c) != nil {
			return nil
		}
		if s, ok := c.Creator.(string); ok {
			return []string{s}
		}
		return nil
	}
	out := []string{create.Sender}
	if v.PrivilegedCreators {
		extra, _ := additionalCreators(create.Content)
		out = append(out, extra...)
	}
	return out
}

// additionalCreators reads content.additional_creators; ok is false when it
// is present but not an array of strings.
func additionalCreators(content json.RawMessage) (ids []string, ok bool) {
	var c struct {
		Extra json.RawMessage `json:"additional_creators"`
	}
	if json.Unmarshal(content, &c) != nil {
		return nil, false
	}
	if c.Extra == nil {
		return nil, true
	}
	if json.Unmarshal(c.Extra, &ids) != nil {
		return nil, false
	}
	return ids, true
}

// power is a user's effective level; creator means infinitely high (v12).
type power struct {
	level   int64
	creator bool
}

// atLeast reports power >= n.
func (p power) atLeast(n int64) bool { return p.creator || p.level >= n }

// above reports power > n.
func (p power) above(n int64) bool { return p.creator || p.level > n }

// less reports p < q.
func (p power) less(q power) bool {
	switch {
	case p.creator:
		return false
	case q.creator:
		return true
	default:
		return p.level < q.level
	}
}

// userPower is the level of userID given the room's creators and parsed
// power levels (v12 creators outrank everything).
func userPower(v version.Spec, creatorIDs []string, pl *PowerLevelContent, userID string) power {
	if v.PrivilegedCreators {
		for _, c := range creatorIDs {
			if c == userID {
				return power{level: math.MaxInt64, creator: true}
			}
		}
	}
	return power{level: pl.UserLevel(userID)}
}

// UserPowerLevel returns userID's power level in state. creator is true for
// a v12 room creator, whose level is infinite (level is then MaxInt64). A
// malformed power-levels event, which the rules never accept into state,
// counts as absent.
func UserPowerLevel(v version.Spec, state State, userID string) (level int64, creator bool) {
	create := state.Get(keyCreate)
	pl := loadPowerLevels(v, state.Get(keyPowerLevels), create)
	p := userPower(v, creators(v, create), pl, userID)
	return p.level, p.creator
}

// loadPowerLevels parses a power-levels event, falling back to the defaults
// when there is none or it cannot be read.
func loadPowerLevels(v version.Spec, plEvent, create *event.Event) *PowerLevelContent {
	if plEvent != nil {
		if _, p, err := parsedPowerLevels(v, plEvent); err == nil {
			return p
		}
	}
	return defaultPowerLevels(v, create)
}
