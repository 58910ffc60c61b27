package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

var (
	// ErrBadPDU reports a PDU that is not a valid event of its room's
	// version (check 1 of "Checks performed on receipt of a PDU"): it is
	// dropped.
	ErrBadPDU = errors.New("federation: invalid PDU")
	// ErrPDUSignature reports a PDU without a valid signature of a server
	// that must sign it (check 2): it is dropped.
	ErrPDUSignature = errors.New("federation: PDU signature check failed")
)

// PDURoomID returns the room_id a raw PDU claims, which decides the room
// version to parse it with (server-server-api "Checks performed on receipt
// of a PDU", check 1).
func PDURoomID(raw []byte) (string, error) {
	var head struct {
		RoomID string `json:"room_id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.RoomID == "" {
		return "", fmt.Errorf("%w: no room_id", ErrBadPDU)
	}
	return head.RoomID, nil
}

// CheckedPDU is a PDU after checks 1 to 3.
type CheckedPDU struct {
	Event *event.Event
	// Redacted reports that the content hash did not match, so Event is
	// the redacted form (check 3).
	Redacted bool
}

// CheckPDU runs the checks of server-server-api "Checks performed on
// receipt of a PDU" that need no room state:
//
//  1. the event is valid for the room version (event.Parse and the
//     state-independent rules of auth.CheckIndependent);
//  2. it carries a valid signature of every server that must sign it
//     (auth.CheckSigners), with keys from the keyring valid at the event's
//     origin_server_ts ("Validating hashes and signatures on received
//     events");
//  3. its content hash matches; otherwise it is redacted before it is
//     processed further.
//
// Failures of checks 1 and 2 wrap ErrBadPDU and ErrPDUSignature.
func CheckPDU(ctx context.Context, keys *Keyring, raw []byte, v version.Spec) (CheckedPDU, error) {
	return checkPDU(ctx, keys, raw, v, event.ParseOptions{})
}

// checkPDU is CheckPDU parsing with o (backfill_check.go relaxes the
// prev_events and auth_events counts for /backfill answers).
func checkPDU(ctx context.Context, keys *Keyring, raw []byte, v version.Spec, o event.ParseOptions) (CheckedPDU, error) {
	ev, err := event.ParseWith(raw, v, o)
	if err != nil {
		return CheckedPDU{}, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	signers, err := verifiedSigners(ctx, keys, ev)
	if err != nil {
		return CheckedPDU{}, err
	}
	if err := auth.CheckSigners(ev, signers); err != nil {
		return CheckedPDU{}, fmt.Errorf("%w: %v", ErrPDUSignature, err)
	}
	if err := auth.CheckIndependent(ev); err != nil {
		return CheckedPDU{}, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	ok, err := event.CheckContentHash(ev.Raw)
	if err != nil {
		return CheckedPDU{}, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	if ok {
		return CheckedPDU{Event: ev}, nil
	}
	red, err := event.Redact(ev.Raw, v)
	if err != nil {
		return CheckedPDU{}, fmt.Errorf("%w: redacting: %v", ErrBadPDU, err)
	}
	rev, err := event.ParseWith(red, v, o)
	if err != nil {
		return CheckedPDU{}, fmt.Errorf("%w: redacted form: %v", ErrBadPDU, err)
	}
	return CheckedPDU{Event: rev, Redacted: true}, nil
}

// verifiedSigners returns the servers with at least one ed25519 signature
// on ev that verifies with a key valid at ev's origin_server_ts.
func verifiedSigners(ctx context.Context, keys *Keyring, ev *event.Event) ([]string, error) {
	sigs, err := signing.Signatures(ev.Raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPDUSignature, err)
	}
	servers := make([]string, 0, len(sigs))
	for s := range sigs {
		servers = append(servers, s)
	}
	sort.Strings(servers)
	var out []string
	for _, server := range servers {
		for keyID := range sigs[server] {
			if keyID.Algorithm() != "ed25519" {
				continue
			}
			pub, _, err := keys.VerifyKey(ctx, server, keyID, ev.OriginServerTS)
			if err != nil {
				continue
			}
			if event.VerifyEventSignature(ev.Raw, ev.Version, server, keyID, pub) == nil {
				out = append(out, server)
				break
			}
		}
	}
	return out, nil
}
