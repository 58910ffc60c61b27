package client

import (
	"errors"
	"strings"
)

// errBadSyncToken reports a since token Axon did not issue [400
// M_INVALID_PARAM].
var errBadSyncToken = errors.New("client: malformed sync token")

// syncToken is a position in each stream a sync reads (client-server-api
// "Syncing": next_batch is opaque to clients, so the format is ours):
//
//	s<events>_<typing>_<receipts>_<todevice>_<accountdata>_<presence>_<devicelists>
//
// each a canonical decimal. events is the global room-event stream
// (persistence's visible watermark); typing is the in-memory typing stream
// (it restarts at 0 with the process, and a larger position then reads as
// "everything current"); receipts, presence and device lists are the
// stores' stream logs; to-device is the position in this device's inbox
// and account data in this user's account-data stream.
type syncToken struct {
	Events, Typing, Receipts, ToDevice, AccountData, Presence, DeviceLists uint64
}

const syncTokenFields = 7

func (t syncToken) fields() [syncTokenFields]*uint64 {
	return [...]*uint64{&t.Events, &t.Typing, &t.Receipts, &t.ToDevice, &t.AccountData, &t.Presence, &t.DeviceLists}
}

// String writes the token.
func (t syncToken) String() string {
	var b strings.Builder
	b.Grow(64)
	b.WriteByte('s')
	for i, p := range t.fields() {
		if i > 0 {
			b.WriteByte('_')
		}
		writeUint(&b, *p)
	}
	return b.String()
}

func writeUint(b *strings.Builder, v uint64) {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	b.Write(buf[i:])
}

// parseSyncToken reads a token written by String; any other spelling is
// errBadSyncToken.
func parseSyncToken(s string) (syncToken, error) {
	var t syncToken
	if len(s) < 2 || s[0] != 's' {
		return t, errBadSyncToken
	}
	parts := strings.Split(s[1:], "_")
	if len(parts) != syncTokenFields {
		return t, errBadSyncToken
	}
	ptrs := [...]*uint64{&t.Events, &t.Typing, &t.Receipts, &t.ToDevice, &t.AccountData, &t.Presence, &t.DeviceLists}
	for i, p := range parts {
		v, err := parseCanonicalUint(p)
		if err != nil {
			return syncToken{}, errBadSyncToken
		}
		*ptrs[i] = v
	}
	return t, nil
}

// DeviceListPositionOf reads the device-list position out of a sync token,
// for GET /keys/changes (Config.DeviceListPosition); a bare decimal is
// accepted too.
func DeviceListPositionOf(tok string) (uint64, error) {
	if t, err := parseSyncToken(tok); err == nil {
		return t.DeviceLists, nil
	}
	v, err := parseCanonicalUint(tok)
	if err != nil {
		return 0, errBadSyncToken
	}
	return v, nil
}
