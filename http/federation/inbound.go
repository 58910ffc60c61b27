package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// Bounds of the work one inbound transaction may cause.
const (
	// missingFetchTimeout bounds one POST /get_missing_events.
	missingFetchTimeout = 10 * time.Second
	// missingLimit is how many missing events are asked for at a time.
	missingLimit = 20
	// maxConcurrentFetches bounds the fetches of missing events in
	// flight across all transactions.
	maxConcurrentFetches = 16
	// stepTimeout bounds the wait for the room actor.
	stepTimeout = 30 * time.Second
)

// pduResult is one entry of the response's pdus object.
type pduResult struct {
	Error string `json:"error,omitempty"`
}

// checkedPDU is a PDU of a transaction on its way through the checks.
type checkedPDU struct {
	raw     []byte
	eventID string
	roomID  string
	version version.Spec
	ev      *event.Event
	err     string // the result's error, once one is known
}

// processPDUs runs "Checks performed on receipt of a PDU" on every PDU of a
// transaction from origin and returns the per-PDU results. A PDU that fails
// does not fail the transaction ("The server is to use this response even
// in the event of one or more PDUs failing to be processed").
func (a *API) processPDUs(ctx context.Context, origin string, raws []json.RawMessage) map[string]pduResult {
	pdus := make([]*checkedPDU, 0, len(raws))
	for _, raw := range raws {
		p := a.identify(origin, raw)
		if p != nil {
			pdus = append(pdus, p)
		}
	}
	a.checkSignatures(ctx, pdus)
	a.stepRooms(ctx, origin, pdus)
	results := make(map[string]pduResult, len(pdus))
	for _, p := range pdus {
		results[p.eventID] = pduResult{Error: p.err}
	}
	return results
}

// stepRooms hands the checked PDUs to their rooms' actors: each room's
// PDUs in transaction order, in one visit and one commit, the rooms side
// by side. A PDU whose prev_events are missing is retried alone after
// fetching them from origin.
func (a *API) stepRooms(ctx context.Context, origin string, pdus []*checkedPDU) {
	byRoom := make(map[string][]*checkedPDU)
	for _, p := range pdus {
		if p.err == "" {
			byRoom[p.roomID] = append(byRoom[p.roomID], p)
		}
	}
	var wg sync.WaitGroup
	for _, list := range byRoom {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := make([]*event.Event, len(list))
			for i, p := range list {
				evs[i] = p.ev
			}
			c, cancel := context.WithTimeout(ctx, stepTimeout)
			res, errs, err := a.cfg.Rooms.StepAll(c, evs)
			cancel()
			for i, p := range list {
				switch {
				case err != nil:
					p.err = a.stepText(p.ev, room.StepResult{}, err)
				case errors.Is(errs[i], room.ErrMissingPrev):
					p.err = a.stepPDU(ctx, origin, p.ev)
				default:
					p.err = a.stepText(p.ev, res[i], errs[i])
				}
			}
		}()
	}
	wg.Wait()
}

// identify finds a PDU's room, version and event ID and applies the room's
// server ACL to the origin and the sender's server. It returns nil for a
// PDU whose ID cannot even be computed (it is dropped unanswered).
func (a *API) identify(origin string, raw []byte) *checkedPDU {
	p := &checkedPDU{raw: raw}
	roomID, err := federation.PDURoomID(raw)
	if err != nil {
		return nil
	}
	p.roomID = roomID
	info, err := a.cfg.Store.Room(roomID)
	if err != nil {
		// Not a room of this server: its version is unknown, so the ID is
		// computed with the reference hash of the current event formats.
		v, _ := version.Lookup(version.ID("11"))
		if p.eventID = eventIDOf(raw, v); p.eventID == "" {
			return nil
		}
		p.err = "This server is not in the room"
		return p
	}
	if p.version, err = version.Lookup(version.ID(info.Version)); err != nil {
		return nil
	}
	if p.eventID = eventIDOf(raw, p.version); p.eventID == "" {
		return nil
	}
	if !a.aclAllows(roomID, origin) {
		p.err = "Server is denied by the room's server ACL"
	}
	return p
}

func eventIDOf(raw []byte, v version.Spec) string {
	var head struct {
		EventID string `json:"event_id"`
	}
	if json.Unmarshal(raw, &head) == nil && head.EventID != "" && v.Format == version.FormatV1 {
		return head.EventID
	}
	id, err := event.EventIDFor(raw, v)
	if err != nil {
		return head.EventID
	}
	return id
}

// aclAllows applies the room's m.room.server_acl to server
// (client-server-api "Server Access Control Lists": every room-scoped
// federation request and every PDU is checked).
func (a *API) aclAllows(roomID, server string) bool {
	acl, err := a.cfg.Store.CurrentStateEvent(roomID, "m.room.server_acl", "")
	if err != nil {
		return true // no ACL (or the room is unknown, handled by the caller)
	}
	ev, err := acl.Event()
	if err != nil {
		return true
	}
	return federation.ACLAllows(ev.Content, server)
}

// checkSignatures runs checks 1 to 3 on the PDUs still in the running, on
// as many goroutines as there are processors.
func (a *API) checkSignatures(ctx context.Context, pdus []*checkedPDU) {
	work := make(chan *checkedPDU)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(pdus)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				c, err := federation.CheckPDU(ctx, a.cfg.Keyring, p.raw, p.version)
				if err != nil {
					p.err = pduError(err)
					continue
				}
				p.ev = c.Event
				if c.Redacted {
					a.cfg.Log.Info("content hash mismatch: storing the redacted event", zap.String("event_id", p.eventID))
				}
				if !a.aclAllows(p.roomID, serverOf(p.ev.Sender)) {
					p.err = "Sender's server is denied by the room's server ACL"
				}
			}
		}()
	}
	for _, p := range pdus {
		if p.err == "" {
			work <- p
		}
	}
	close(work)
	wg.Wait()
}

// stepPDU hands a checked event to its room actor, fetching missing
// prev_events from origin once if the room lacks them; it returns the
// result's error text ("" for an accepted or soft-failed event: the sender
// has done nothing wrong by sending it).
func (a *API) stepPDU(ctx context.Context, origin string, ev *event.Event) string {
	res, err := a.step(ctx, ev)
	if errors.Is(err, room.ErrMissingPrev) && a.lacksPrevEvents(ev) {
		a.fetchMissing(ctx, origin, ev)
		res, err = a.step(ctx, ev)
	}
	if errors.Is(err, room.ErrMissingPrev) {
		// Missing auth events, or a gap /get_missing_events did not
		// close: the state at the gap's end is fetched instead
		// (inbound_state.go).
		if ferr := a.fetchStateFor(ctx, origin, ev); ferr != nil {
			a.cfg.Log.Info("fetching the missing state failed", zap.String("server", origin), zap.String("event_id", ev.ID), zap.Error(ferr))
		} else {
			res, err = a.step(ctx, ev)
		}
	}
	return a.stepText(ev, res, err)
}

// stepText is the result's error text for what the room made of ev.
func (a *API) stepText(ev *event.Event, res room.StepResult, err error) string {
	switch {
	case errors.Is(err, room.ErrMissingPrev):
		return "Missing prev_events or auth_events that could not be fetched"
	case errors.Is(err, room.ErrUnknownRoom):
		return "This server is not in the room"
	case errors.Is(err, room.ErrBusy), errors.Is(err, room.ErrTimeout):
		return "Room is busy, try again"
	case err != nil:
		a.cfg.Log.Warn("stepping a PDU", zap.String("event_id", ev.ID), zap.Error(err))
		return "Could not process the event"
	case res.Outcome == core.Rejected:
		return fmt.Sprintf("Event rejected by the authorisation rules: %v", res.Reason)
	}
	return ""
}

func (a *API) step(ctx context.Context, ev *event.Event) (room.StepResult, error) {
	c, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	return a.cfg.Rooms.Step(c, ev)
}

// fetchMissing asks origin for the events between the room's forward
// extremities and ev (POST /get_missing_events), checks each like a PDU of
// the transaction and steps them oldest first. Failures are logged and
// bounded: the caller answers for ev whatever the room then makes of it.
func (a *API) fetchMissing(ctx context.Context, origin string, ev *event.Event) {
	if a.cfg.Client == nil {
		return
	}
	select {
	case a.fetches <- struct{}{}:
		defer func() { <-a.fetches }()
	case <-ctx.Done():
		return
	}
	earliest, err := a.extremityIDs(ev.RoomID)
	if err != nil {
		return
	}
	c, cancel := context.WithTimeout(ctx, missingFetchTimeout)
	defer cancel()
	raws, err := a.cfg.Client.GetMissingEvents(c, origin, ev.RoomID, federation.MissingEventsRequest{
		Limit: missingLimit, EarliestEvents: earliest, LatestEvents: []string{ev.ID},
	})
	if err != nil {
		a.cfg.Log.Info("get_missing_events failed", zap.String("server", origin), zap.String("event_id", ev.ID), zap.Error(err))
		return
	}
	var got []*event.Event
	for _, raw := range raws {
		if len(got) >= missingLimit {
			break
		}
		cp, err := federation.CheckPDU(c, a.cfg.Keyring, raw, ev.Version)
		if err != nil || cp.Event.RoomID != ev.RoomID {
			continue
		}
		got = append(got, cp.Event)
	}
	got = a.gapEvents(ev, got)
	slices.SortStableFunc(got, func(x, y *event.Event) int { return int(x.Depth - y.Depth) })
	for _, m := range got {
		if _, err := a.step(ctx, m); err != nil && !errors.Is(err, room.ErrMissingPrev) {
			a.cfg.Log.Info("stepping a fetched event", zap.String("event_id", m.ID), zap.Error(err))
		}
	}
}

// gapEvents keeps, of the events /get_missing_events answered, those in
// the gap before ev: reached from ev's prev_events through events whose
// state this server does not know. The answering server's walk stops only
// at earliest_events (our forward extremities); when ev's branch forked
// from before them, the answer runs on into history held here already,
// the state of our join among it as outliers. Stepped as new events, those
// would become forward extremities although later events cite them, and
// their states, older than our timeline, would be resolved against the
// current state as forks (server-server-api "Room State": extremities are
// events with no successors).
func (a *API) gapEvents(ev *event.Event, got []*event.Event) []*event.Event {
	byID := make(map[string]*event.Event, len(got))
	for _, e := range got {
		byID[e.ID] = e
	}
	var out []*event.Event
	seen := make(map[string]bool, len(got))
	queue := slices.Clone(ev.PrevEvents)
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		e, ok := byID[id]
		if seen[id] || !ok {
			continue
		}
		seen[id] = true
		if rec, err := a.cfg.Store.EventByID(id); err == nil && (!rec.Outlier || rec.StateAfter != 0) {
			continue // held with its state: the gap ends here
		}
		out = append(out, e)
		queue = append(queue, e.PrevEvents...)
	}
	return out
}

// lacksPrevEvents reports a prev_event of ev that is not stored, which
// /get_missing_events may bring (missing auth events it does not).
func (a *API) lacksPrevEvents(ev *event.Event) bool {
	for _, id := range ev.PrevEvents {
		if _, err := a.cfg.Store.EventNID(id); errors.Is(err, persistence.ErrNotFound) {
			return true
		}
	}
	return false
}

func (a *API) extremityIDs(roomID string) ([]string, error) {
	nids, err := a.cfg.Store.Extremities(roomID)
	if err != nil {
		return nil, err
	}
	recs, err := a.cfg.Store.EventsByNID(nids)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.EventID
	}
	return out, nil
}

func pduError(err error) string {
	switch {
	case errors.Is(err, federation.ErrPDUSignature):
		return "Signature check failed"
	case errors.Is(err, federation.ErrBadPDU):
		return "Invalid event"
	}
	return "Could not check the event"
}

func serverOf(userID string) string {
	for i := 0; i < len(userID); i++ {
		if userID[i] == ':' {
			return userID[i+1:]
		}
	}
	return ""
}
