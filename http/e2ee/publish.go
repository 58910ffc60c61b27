package e2ee

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
)

// LocalDevicesChanged hears that a local user's devices, device keys,
// device names or cross-signing keys may have changed. One background
// worker compares them with what was last announced and sends the
// differences as m.device_list_update and m.signing_key_update EDUs to
// every server sharing a room with the user. Calls never block; several
// calls for one user before the worker runs are published once.
func (s *Service) LocalDevicesChanged(localpart string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if !s.pending[localpart] {
		s.pending[localpart] = true
		s.order = append(s.order, localpart)
	}
	start := !s.running
	s.running = true
	if start {
		s.bg.Add(1)
	}
	s.mu.Unlock()
	if start {
		go func() {
			defer s.bg.Done()
			s.publishLoop()
		}()
	}
}

// publishLoop publishes pending users, one at a time, until none is left;
// the rooms that may have new servers (newservers.go) go first. One
// goroutine does both, so the stream_id of a user's updates is never
// allocated twice.
func (s *Service) publishLoop() {
	for {
		s.mu.Lock()
		if len(s.rooms.order) > 0 {
			roomID := s.rooms.order[0]
			s.rooms.order = s.rooms.order[1:]
			delete(s.rooms.pending, roomID)
			s.mu.Unlock()
			if err := s.announceToNewServers(roomID); err != nil {
				s.logFailure("announcing device lists to a room's new servers", "", err)
			}
			continue
		}
		if len(s.order) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		lp := s.order[0]
		s.order = s.order[1:]
		delete(s.pending, lp)
		s.mu.Unlock()
		if err := s.publish(lp); err != nil {
			s.logFailure("announcing a device-list change", "", err)
		}
	}
}

// localState is what other servers may know of a local user's devices.
type localState struct {
	devices        map[string]json.RawMessage // device keys with unsigned.device_display_name
	names          map[string]string
	master, selfSS json.RawMessage
}

func (s *Service) readLocal(lp string) (localState, error) {
	st := localState{names: map[string]string{}}
	devs, err := s.cfg.Store.Devices(lp)
	if err != nil {
		return st, err
	}
	keys, err := s.cfg.Store.AllDeviceKeys(lp)
	if err != nil {
		return st, err
	}
	st.devices = make(map[string]json.RawMessage, len(keys))
	for _, d := range devs {
		// A device is announced once it has keys, as /user/devices lists it.
		if k, ok := keys[d.ID]; ok {
			st.devices[d.ID] = k
			st.names[d.ID] = d.DisplayName
		}
	}
	for usage, dst := range map[string]*json.RawMessage{"master": &st.master, "self_signing": &st.selfSS} {
		k, err := s.cfg.Store.CrossSigningKey(lp, usage)
		if err != nil && !errors.Is(err, persistence.ErrNotFound) {
			return st, err
		}
		*dst = k
	}
	return st, nil
}

func digest(parts ...[]byte) string {
	if len(parts) == 0 || len(parts[0]) == 0 {
		return ""
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// publish announces what changed of lp's devices since the last
// announcement to every server sharing a room with lp. What was announced
// is committed before the EDUs are queued, so a stream_id is never reused.
func (s *Service) publish(lp string) error {
	edus, next, err := s.announcements(lp, false)
	if err != nil || len(edus) == 0 {
		return err
	}
	b := s.cfg.Store.NewBatch()
	b.PutSentDeviceList(lp, next)
	if err := b.Commit(); err != nil {
		return err
	}
	if s.cfg.SendEDU == nil {
		return nil
	}
	for _, dest := range s.sharingServers("@" + lp + ":" + s.cfg.ServerName) {
		for _, e := range edus {
			s.cfg.SendEDU(dest, e)
		}
	}
	return nil
}

// announcements compares lp's devices and cross-signing keys with what
// was last announced and returns the EDUs describing the differences and
// the record of what they announce (server-server-api "Device
// Management": one m.device_list_update per changed device, each with a
// new stream_id and, in prev_id, the one before it; m.signing_key_update
// when the master or self-signing key changed). full announces every
// current device and the cross-signing keys as if nothing had been
// announced, keeping the stream_id chain (newservers.go).
func (s *Service) announcements(lp string, full bool) ([]federation.EDU, persistence.SentDeviceList, error) {
	cur, err := s.readLocal(lp)
	if err != nil {
		return nil, persistence.SentDeviceList{}, err
	}
	sent, err := s.cfg.Store.SentDeviceList(lp)
	if err != nil {
		return nil, persistence.SentDeviceList{}, err
	}
	if full {
		sent = persistence.SentDeviceList{StreamID: sent.StreamID}
	}
	userID := "@" + lp + ":" + s.cfg.ServerName
	next := persistence.SentDeviceList{StreamID: sent.StreamID, Devices: map[string]string{},
		MasterKey: digest(cur.master), SelfSigningKey: digest(cur.selfSS)}
	ids := make([]string, 0, len(cur.devices)+len(sent.Devices))
	for id := range cur.devices {
		ids = append(ids, id)
	}
	for id := range sent.Devices {
		if _, ok := cur.devices[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var edus []federation.EDU
	for _, id := range ids {
		keys, present := cur.devices[id]
		d := ""
		if present {
			d = digest(keys, []byte(cur.names[id]))
			next.Devices[id] = d
		}
		if d == sent.Devices[id] {
			continue
		}
		update := map[string]any{"user_id": userID, "device_id": id, "stream_id": next.StreamID + 1, "prev_id": []int64{}}
		if next.StreamID > 0 {
			update["prev_id"] = []int64{next.StreamID}
		}
		next.StreamID++
		if present {
			update["keys"] = keys
			if n := cur.names[id]; n != "" {
				update["device_display_name"] = n
			}
		} else {
			update["deleted"] = true
		}
		c, _ := json.Marshal(update)
		edus = append(edus, federation.EDU{Type: "m.device_list_update", Content: c})
	}
	if next.MasterKey != sent.MasterKey || next.SelfSigningKey != sent.SelfSigningKey {
		// m.signing_key_update.yaml: the user's master and self-signing
		// keys as they are now.
		update := map[string]any{"user_id": userID}
		if len(cur.master) > 0 {
			update["master_key"] = cur.master
		}
		if len(cur.selfSS) > 0 {
			update["self_signing_key"] = cur.selfSS
		}
		c, _ := json.Marshal(update)
		edus = append(edus, federation.EDU{Type: "m.signing_key_update", Content: c})
	}
	return edus, next, nil
}

// StreamID is the stream_id of the last device-list update announced for
// a local user, which GET /user/devices reports so that the next update's
// prev_id chains onto it.
func (s *Service) StreamID(localpart string) (int64, error) {
	sent, err := s.cfg.Store.SentDeviceList(localpart)
	return sent.StreamID, err
}

// recoverWindow is how many of the latest device-list changes Recover
// looks at.
const recoverWindow = 1000

// Recover re-examines the local users with one of the latest device-list
// changes, so that an announcement a crash interrupted (the change was
// committed, its EDUs not yet queued) is made after the restart. Users
// whose devices match what was announced send nothing. Call it once the
// server actors can take EDUs.
func (s *Service) Recover() error {
	pos, err := s.cfg.Store.DeviceListPosition()
	if err != nil {
		return err
	}
	from := uint64(0)
	if pos > recoverWindow {
		from = pos - recoverWindow
	}
	uids, err := s.cfg.Store.DeviceListChangedUsers(from, pos, s.cfg.ServerName)
	if err != nil {
		return err
	}
	suffix := ":" + s.cfg.ServerName
	for _, uid := range uids {
		if lp, ok := strings.CutSuffix(uid, suffix); ok && serverOf(uid) == s.cfg.ServerName {
			s.LocalDevicesChanged(strings.TrimPrefix(lp, "@"))
		}
	}
	return nil
}
