package client

import "strings"

// presenceRemote follows the presence stream for remote users who are not
// offline: the sweeper reads only the rows written since its last pass
// (inbound m.presence EDUs land there), so a pass costs the changes plus
// one look at each remote user it follows.
type presenceRemote struct {
	cursor uint64
	heard  map[string]remoteHeard
}

// remoteHeard is when the sweeper first saw a remote user's latest stored
// presence (Unix ms), and that record's stream position.
type remoteHeard struct {
	at  int64
	pos uint64
}

// sweepRemote times out remote users no EDU has mentioned for
// presenceRemoteTimeout (Synapse does the same, which is why servers
// re-send presence that has not changed; server-server-api "Presence").
// The first pass after a start reads the whole stream, one row per user,
// and gives everyone found the full timeout. The offline record is stored
// only if no update came in meanwhile, is not sent to other servers, and
// wakes the local users who share a room.
func (a *API) sweepRemote(now int64) error {
	r := &a.presence.remote
	st := a.cfg.Store
	pos, err := st.PresencePosition()
	if err != nil {
		return err
	}
	changed, err := st.PresenceSince(r.cursor, pos)
	if err != nil {
		return err
	}
	r.cursor = pos
	suffix := ":" + a.cfg.ServerName
	for _, p := range changed {
		if strings.HasSuffix(p.UserID, suffix) {
			continue
		}
		if p.Presence == presenceOffline {
			delete(r.heard, p.UserID)
			continue
		}
		r.heard[p.UserID] = remoteHeard{at: now, pos: p.Pos}
	}
	for userID, h := range r.heard {
		if now-h.at <= presenceRemoteTimeout.Milliseconds() {
			continue
		}
		p, err := st.PresenceOf(userID)
		if err != nil {
			return err
		}
		delete(r.heard, userID)
		if p.Pos != h.pos {
			// Updated since this pass read the stream: the next pass
			// picks the new record up.
			continue
		}
		p.Presence, p.CurrentlyActive = presenceOffline, false
		ok, err := st.ReplacePresenceAt(p, h.pos)
		if err != nil {
			return err
		}
		if ok {
			a.background(func() { a.wakeSharing(userID) })
		}
	}
	return nil
}
