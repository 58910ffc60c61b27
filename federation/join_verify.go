package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"sort"
	"sync"

	"github.com/axonhs/axon/rooms/auth"
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
// event that fails that too fails the lot.
func (h *Handshake) checkEvents(ctx context.Context, raws [][]byte, v version.Spec) ([]*event.Event, error) {
	out := make([]*event.Event, len(raws))
	errs := make([]error, len(raws))
	h.parallel(len(raws), checkChunk, func(lo, hi int) {
		h.checkChunk(ctx, raws[lo:hi], v, out[lo:hi], errs[lo:hi])
	})
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
	for i, raw := range raws {
		ev, pending, err := h.prepareEvent(ctx, raw, v, i)
		if err != nil {
			errs[i] = err
			continue
		}
		out[i] = ev
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
	for i, ev := range out {
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
// has for the event's origin_server_ts: the bytes they sign are the
// redacted event without signatures and unsigned (appendices "Checking
// for a Signature"). An event whose content hash does not match is
// returned redacted (server-server-api "Checks performed on receipt of a
// PDU", check 3).
func (h *Handshake) prepareEvent(ctx context.Context, raw []byte, v version.Spec, index int) (*event.Event, []pendingSig, error) {
	ev, err := event.Parse(raw, v)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	if err := auth.CheckIndependent(ev); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	redacted, err := event.Redact(ev.Raw, v)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: redacting: %v", ErrBadPDU, err)
	}
	message, err := signing.SigningBytes(redacted)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	all, err := signing.Signatures(ev.Raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrPDUSignature, err)
	}
	servers := make([]string, 0, len(all))
	for s := range all {
		servers = append(servers, s)
	}
	sort.Strings(servers)
	var pending []pendingSig
	for _, server := range servers {
		for keyID, value := range all[server] {
			if keyID.Algorithm() != "ed25519" {
				continue
			}
			sig, err := signing.DecodeBase64(value)
			if err != nil || len(sig) != ed25519.SignatureSize {
				continue
			}
			pub, _, err := h.Keyring.VerifyKey(ctx, server, keyID, ev.OriginServerTS)
			if err != nil {
				continue
			}
			pending = append(pending, pendingSig{event: index, server: server, check: sigCheck{public: pub, message: message, sig: sig}})
		}
	}
	ok, err := event.CheckContentHash(ev.Raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadPDU, err)
	}
	if !ok {
		if ev, err = event.Parse(redacted, v); err != nil {
			return nil, nil, fmt.Errorf("%w: redacted form: %v", ErrBadPDU, err)
		}
	}
	return ev, pending, nil
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
