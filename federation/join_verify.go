package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// checkChunk is how many events one worker takes at a time, and so the
// size of one signature batch.
const checkChunk = 64

// errUnverified marks an event whose checks failed on the parallel pass;
// it is checked once more alone with CheckPDU, which gives the reason.
var errUnverified = errors.New("federation: not verified on the parallel pass")

// checkEvents runs the checks of CheckPDU on every raw event, on as many
// goroutines as there are processors, each taking checkChunk events at a
// time: parse, the state-independent rules, the content hash (redacting
// on a mismatch), and the signatures of the chunk in one batch
// (verifyBatch; a failed batch is checked signature by signature). An
// event that fails is checked again alone with CheckPDU, which the keyring
// may answer differently once another goroutine stored a key; the first
// event that fails that too fails the lot. A cancelled ctx stops the
// workers at their next chunk.
func (h *Handshake) checkEvents(ctx context.Context, raws [][]byte, v version.Spec) ([]*event.Event, error) {
	out := make([]*event.Event, len(raws))
	errs := make([]error, len(raws))
	h.parallel(len(raws), checkChunk, func(lo, hi int) {
		if ctx.Err() == nil {
			h.checkChunk(ctx, raws[lo:hi], v, out[lo:hi], errs[lo:hi])
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err == nil {
			continue
		}
		cp, err := CheckPDU(ctx, h.Keyring, raws[i], v)
		if err != nil {
			return nil, fmt.Errorf("%w: event %d: %w", ErrBadJoinState, i, err)
		}
		out[i] = cp.Event
	}
	return out, nil
}

// parallel calls f on consecutive ranges of [0, n) of at most chunk
// items, on GOMAXPROCS goroutines, and returns when all are done.
func (h *Handshake) parallel(n, chunk int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	next := make(chan int, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				f(lo, min(lo+chunk, n))
			}
		}()
	}
	for lo := 0; lo < n; lo += chunk {
		next <- lo
	}
	close(next)
	wg.Wait()
}

// pendingSig is one signature of one event of a chunk.
type pendingSig struct {
	event  int
	server string
	check  sigCheck
}

// checkChunk checks raws into out, setting errs[i] for each event that
// failed (errUnverified for a signature failure, whose reason CheckPDU
// gives on the second pass).
func (h *Handshake) checkChunk(ctx context.Context, raws [][]byte, v version.Spec, out []*event.Event, errs []error) {
	var sigs []pendingSig
	// signed is each event as received, whose signers CheckSigners judges
	// (as CheckPDU does) even when out holds its redacted form.
	signed := make([]*event.Event, len(raws))
	for i, raw := range raws {
		ev, received, pending, err := h.prepareEvent(ctx, raw, v, i)
		if err != nil {
			errs[i] = err
			continue
		}
		out[i], signed[i] = ev, received
		sigs = append(sigs, pending...)
	}
	checks := make([]sigCheck, len(sigs))
	for i, s := range sigs {
		checks[i] = s.check
	}
	allValid := verifyBatch(checks)
	signers := make([][]string, len(raws))
	for _, s := range sigs {
		if allValid || verifyOne(s.check) {
			signers[s.event] = append(signers[s.event], s.server)
		}
	}
	for i, ev := range signed {
		if errs[i] != nil {
			continue
		}
		if err := auth.CheckSigners(ev, signers[i]); err != nil {
			out[i], errs[i] = nil, errUnverified
		}
	}
}

// prepareEvent parses one event and runs the checks that need no
// signature, and returns its signatures by servers whose key the keyring
// has for the event's origin_server_ts. An event whose content hash does
// not match is returned redacted as ev (server-server-api "Checks
// performed on receipt of a PDU", check 3); received is the event as it
// came, whatever its hash.
//
// event.Parse leaves the event in canonical JSON, so its members are
// split once here for the content hash and the signatures instead of
// canonicalising the event again for each (what CheckPDU does, through
// event.CheckContentHash, signing.Signatures and signing.SigningBytes).
func (h *Handshake) prepareEvent(ctx context.Context, raw []byte, v version.Spec, index int) (ev, received *event.Event, pending []pendingSig, err error) {
	if ev, err = event.Parse(raw, v); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	received = ev
	if err := auth.CheckIndependent(ev); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	members, err := canonical.Members(ev.Raw)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	redacted, err := event.Redact(ev.Raw, v)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: redacting: %v", ErrBadPDU, err)
	}
	message, err := signedBytes(redacted)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	all, err := signaturesOf(members)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrPDUSignature, err)
	}
	for _, sig := range all {
		pub, _, err := h.Keyring.VerifyKey(ctx, sig.server, sig.keyID, ev.OriginServerTS)
		if err != nil {
			continue
		}
		pending = append(pending, pendingSig{event: index, server: sig.server, check: sigCheck{public: pub, message: message, sig: sig.value}})
	}
	if contentHashMatches(members) {
		return ev, received, pending, nil
	}
	// Not a match: the core decides between a redacted copy and a PDU
	// without a usable hash.
	ok, err := event.CheckContentHash(ev.Raw)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	if !ok {
		if ev, err = event.Parse(redacted, v); err != nil {
			return nil, nil, nil, fmt.Errorf("%w: redacted form: %v", ErrBadPDU, err)
		}
	}
	return ev, received, pending, nil
}

// contentHashMatches reports whether hashes.sha256 of a canonical event,
// split into members, is the SHA-256 of the event without unsigned,
// signatures and hashes (server-server-api "Calculating the content hash
// for an event"; rooms/signing.ContentHash is the same computation).
func contentHashMatches(members []canonical.Member) bool {
	var claimed []byte
	kept := make([]canonical.Member, 0, len(members))
	for _, m := range members {
		switch m.Key {
		case "hashes":
			claimed = m.Value
		case "unsigned", "signatures":
		default:
			kept = append(kept, m)
		}
	}
	if claimed == nil {
		return false
	}
	hashes, err := canonical.Members(claimed)
	if err != nil {
		return false
	}
	var want []byte
	for _, m := range hashes {
		if m.Key == "sha256" {
			s, err := canonical.Unquote(m.Value)
			if err != nil {
				return false
			}
			if want, err = signing.DecodeBase64(s); err != nil {
				return false
			}
		}
	}
	got := sha256.Sum256(canonical.AppendObject(nil, kept))
	return want != nil && subtle.ConstantTimeCompare(want, got[:]) == 1
}

// signedBytes is what an event's signatures cover: its redacted form
// (canonical, as event.Redact returns it, and without unsigned) less the
// signatures (appendices "Checking for a Signature").
func signedBytes(redacted []byte) ([]byte, error) {
	members, err := canonical.Members(redacted)
	if err != nil {
		return nil, err
	}
	kept := members[:0]
	for _, m := range members {
		if m.Key != "signatures" && m.Key != "unsigned" {
			kept = append(kept, m)
		}
	}
	return canonical.AppendObject(nil, kept), nil
}

// eventSignature is one ed25519 signature on an event.
type eventSignature struct {
	server string
	keyID  signing.KeyID
	value  []byte
}

// signaturesOf lists the ed25519 signatures of a canonical event, split
// into members, by server in code-point order (canonical JSON's), as
// signing.Signatures reads them: entries that are not a key ID with an
// unpadded-base64 64-byte value are skipped.
func signaturesOf(members []canonical.Member) ([]eventSignature, error) {
	var value []byte
	for _, m := range members {
		if m.Key == "signatures" {
			value = m.Value
		}
	}
	if value == nil {
		return nil, nil
	}
	servers, err := canonical.Members(value)
	if err != nil {
		return nil, fmt.Errorf("signatures: %w", err)
	}
	var out []eventSignature
	for _, s := range servers {
		keys, err := canonical.Members(s.Value)
		if err != nil {
			return nil, fmt.Errorf("signatures[%q]: %w", s.Key, err)
		}
		for _, k := range keys {
			id, err := signing.ParseKeyID(k.Key)
			if err != nil || id.Algorithm() != "ed25519" {
				continue
			}
			b64, err := canonical.Unquote(k.Value)
			if err != nil {
				continue
			}
			sig, err := signing.DecodeBase64(b64)
			if err != nil || len(sig) != ed25519.SignatureSize {
				continue
			}
			out = append(out, eventSignature{server: s.Key, keyID: id, value: sig})
		}
	}
	return out, nil
}

// authChunk is how many events one worker checks against their auth
// events at a time.
const authChunk = 256

// checkAuthAll runs checkAuthOf on every event, in parallel (byID is only
// read), and returns the failure of the first failing event in the order
// of evs.
func (h *Handshake) checkAuthAll(evs []*event.Event, create *event.Event, byID map[string]*event.Event) error {
	errs := make([]error, len(evs))
	h.parallel(len(evs), authChunk, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			errs[i] = checkAuthOf(evs[i], create, byID)
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// dedupeRaw returns the distinct byte strings of raws, in order of first
// appearance, and for each of raws the index of its copy among them.
func dedupeRaw(raws [][]byte) ([][]byte, []int) {
	seed := maphash.MakeSeed()
	first := make(map[uint64][]int, len(raws))
	uniq := make([][]byte, 0, len(raws))
	of := make([]int, len(raws))
next:
	for i, r := range raws {
		h := maphash.Bytes(seed, r)
		for _, j := range first[h] {
			if bytes.Equal(uniq[j], r) {
				of[i] = j
				continue next
			}
		}
		first[h] = append(first[h], len(uniq))
		of[i] = len(uniq)
		uniq = append(uniq, r)
	}
	return uniq, of
}

// verifyOne checks one signature with crypto/ed25519 (which panics on a
// key of the wrong length).
func verifyOne(c sigCheck) bool {
	return len(c.public) == ed25519.PublicKeySize && ed25519.Verify(c.public, c.message, c.sig)
}
