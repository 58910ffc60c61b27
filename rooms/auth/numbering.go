package auth

import (
	"strconv"

	"github.com/axonhs/axon/rooms/version"
)

// numbering holds where each rule sits in a room version's list, so that a
// refusal names the rule as that version's spec page numbers it. Zero means
// the version has no such rule.
type numbering struct {
	create, roomID, authEvents, federate, aliases           int
	member, joined, thirdParty, required, stateKeyAt, power int
	redaction                                               int

	// Sub-rules of the member rule.
	memberJAUVS, memberJoin, memberInvite, memberLeave, memberBan, memberKnock, memberUnknown int
	// Sub-rules of member/join.
	joinRestricted, joinPublic, joinOtherwise int
	// Sub-rules of the power-levels rule.
	plNamedInts, plMapInts, plUsers, plCreators, plNoPrevious int
	plNamed, plEventsOld, plEventsNew, plUsersOld, plUsersNew int
}

// numberingFor lays out the rule list of v: v1-auth-rules (v1, v2),
// v3-auth-rules (v3–v5), v6.md and v7.md, v8-auth-rules (v8, v9), v10.md,
// v11.md and v12.md.
func numberingFor(v version.Spec) numbering {
	var n numbering
	n.create, n.authEvents, n.federate = 1, 2, 3
	next := 4
	if v.Auth >= version.AuthV12 {
		n.roomID, n.authEvents, n.federate = 2, 3, 4
		next = 5
	}
	if v.SpecialCaseAliases {
		n.aliases = next
		next++
	}
	n.member, n.joined, n.thirdParty, n.required, n.stateKeyAt, n.power =
		next, next+1, next+2, next+3, next+4, next+5
	if v.Auth == version.AuthV1 {
		n.redaction = next + 6
	}

	sub := 2
	if v.Restricted {
		n.memberJAUVS = 2
		sub = 3
	}
	n.memberJoin, n.memberInvite, n.memberLeave, n.memberBan = sub, sub+1, sub+2, sub+3
	sub += 4
	if v.Knock {
		n.memberKnock = sub
		sub++
	}
	n.memberUnknown = sub

	n.joinPublic, n.joinOtherwise = 5, 6
	if v.Restricted {
		n.joinRestricted, n.joinPublic, n.joinOtherwise = 5, 6, 7
	}

	pl := 1
	if v.IntegerPowerLevels {
		n.plNamedInts, n.plMapInts = 1, 2
		pl = 3
	}
	n.plUsers = pl
	pl++
	if v.PrivilegedCreators {
		n.plCreators = pl
		pl++
	}
	n.plNoPrevious, n.plNamed, n.plEventsOld, n.plEventsNew, n.plUsersOld, n.plUsersNew =
		pl, pl+1, pl+2, pl+3, pl+4, pl+5
	return n
}

// num joins rule numbers into "4.3.3".
func num(parts ...int) string {
	b := make([]byte, 0, 8)
	for i, p := range parts {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(p), 10)
	}
	return string(b)
}
