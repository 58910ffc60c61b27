package user

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/axonhs/axon/persistence"
)

// UploadKeys stores a device's identity keys, one-time keys and fallback
// keys (spec: POST /keys/upload) and returns the unclaimed one-time key
// counts by algorithm. The caller has checked the JSON's shape and that
// DeviceKeys names this user and device.
type UploadKeys struct {
	DeviceID     string
	DeviceKeys   json.RawMessage            // nil: none uploaded
	OneTimeKeys  map[string]json.RawMessage // "algorithm:id" → key
	FallbackKeys map[string]json.RawMessage // "algorithm:id" → key
}

func (c UploadKeys) apply(s *state) (any, error) {
	if _, err := s.store.Device(s.localpart, c.DeviceID); errors.Is(err, persistence.ErrNotFound) {
		return nil, ErrUnknownDevice
	} else if err != nil {
		return nil, err
	}
	b := s.store.NewBatch()
	changed := false
	if c.DeviceKeys != nil {
		old, err := s.store.DeviceKeys(s.localpart, c.DeviceID)
		switch {
		case errors.Is(err, persistence.ErrNotFound):
			b.PutDeviceKeys(s.localpart, c.DeviceID, c.DeviceKeys)
			changed = true
		case err != nil:
			b.Close()
			return nil, err
		default:
			same, err := sameIdentityKeys(old, c.DeviceKeys)
			if err != nil {
				b.Close()
				return nil, err
			}
			if !same {
				b.Close()
				return nil, ErrKeysChanged
			}
		}
	}
	// New keys may sort before the claim cursors: start claims afresh.
	s.claimed = nil
	for id, key := range c.OneTimeKeys {
		old, err := s.store.OneTimeKey(s.localpart, c.DeviceID, id)
		if err == nil {
			if !bytes.Equal(old, key) {
				b.Close()
				return nil, fmt.Errorf("%w: %s", ErrKeyExists, id)
			}
			continue
		}
		if !errors.Is(err, persistence.ErrNotFound) {
			b.Close()
			return nil, err
		}
		b.PutOneTimeKey(s.localpart, c.DeviceID, id, key)
	}
	for id, key := range c.FallbackKeys {
		alg, _, _ := strings.Cut(id, ":")
		b.PutFallbackKey(s.localpart, c.DeviceID, alg, persistence.FallbackKey{KeyID: id, Key: key})
	}
	var err error
	if changed {
		_, err = s.store.CommitDeviceListChange(b, s.localpart)
	} else {
		err = s.commit(b, nil)
	}
	if err != nil {
		return nil, err
	}
	return s.store.OneTimeKeyCounts(s.localpart, c.DeviceID)
}

// sameIdentityKeys compares the parts of two device-keys objects that may
// not change once uploaded: the algorithms and the keys. Signatures may
// grow.
func sameIdentityKeys(a, b json.RawMessage) (bool, error) {
	type identity struct {
		Algorithms []string          `json:"algorithms"`
		Keys       map[string]string `json:"keys"`
	}
	var x, y identity
	if err := json.Unmarshal(a, &x); err != nil {
		return false, fmt.Errorf("%w: stored device keys: %v", persistence.ErrCorrupt, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return false, err
	}
	if len(x.Keys) != len(y.Keys) || strings.Join(x.Algorithms, "\x00") != strings.Join(y.Algorithms, "\x00") {
		return false, nil
	}
	for k, v := range x.Keys {
		if y.Keys[k] != v {
			return false, nil
		}
	}
	return true, nil
}

// ClaimKeys claims one key per device (spec: POST /keys/claim): an unclaimed
// one-time key of the algorithm, which is deleted, or else the device's
// fallback key, which is marked used and stays. The actor applies claims
// one at a time, so no one-time key is ever handed out twice. The result
// maps device ID → key ID → key; devices with no key are left out.
type ClaimKeys struct {
	Want map[string]string // device ID → algorithm
}

func (c ClaimKeys) apply(s *state) (any, error) {
	out := make(map[string]map[string]json.RawMessage)
	claimedNow := make(map[string]string)
	b := s.store.NewBatch()
	for dev, alg := range c.Want {
		cursor := dev + "\x00" + alg
		id, key, err := s.store.FirstOneTimeKey(s.localpart, dev, alg, s.claimed[cursor])
		if err == nil {
			b.DeleteOneTimeKey(s.localpart, dev, id)
			claimedNow[cursor] = id
			out[dev] = map[string]json.RawMessage{id: key}
			continue
		}
		if !errors.Is(err, persistence.ErrNotFound) {
			b.Close()
			return nil, err
		}
		fbs, err := s.store.FallbackKeys(s.localpart, dev)
		if err != nil {
			b.Close()
			return nil, err
		}
		if fb, ok := fbs[alg]; ok {
			if !fb.Used {
				fb.Used = true
				b.PutFallbackKey(s.localpart, dev, alg, fb)
			}
			out[dev] = map[string]json.RawMessage{fb.KeyID: fb.Key}
		}
	}
	if err := s.commit(b, nil); err != nil {
		return nil, err
	}
	if s.claimed == nil {
		s.claimed = make(map[string]string)
	}
	for k, id := range claimedNow {
		s.claimed[k] = id
	}
	return out, nil
}

// UploadCrossSigning stores cross-signing keys by usage (master,
// self_signing, user_signing). The caller has validated them and done any
// interactive authentication the replacement needs.
type UploadCrossSigning struct {
	Keys map[string]json.RawMessage
}

func (c UploadCrossSigning) apply(s *state) (any, error) {
	b := s.store.NewBatch()
	for usage, key := range c.Keys {
		b.PutCrossSigningKey(s.localpart, usage, key)
	}
	_, err := s.store.CommitDeviceListChange(b, s.localpart)
	return nil, err
}

// SignatureTarget is one key that receives signatures: one of the user's
// own devices (DeviceID), one of the user's own cross-signing keys (Usage),
// or another user's key (ForeignUser and KeyID), whose signatures are kept
// apart and shown only to the signer.
type SignatureTarget struct {
	DeviceID    string
	Usage       string
	ForeignUser string
	KeyID       string
	// Signatures is {signing user ID: {key ID: signature}}.
	Signatures map[string]map[string]string
}

// AddSignatures merges verified signatures into the stored keys (spec: POST
// /keys/signatures/upload).
type AddSignatures struct{ Targets []SignatureTarget }

func (c AddSignatures) apply(s *state) (any, error) {
	b := s.store.NewBatch()
	own := false
	for _, t := range c.Targets {
		var raw json.RawMessage
		var err error
		switch {
		case t.ForeignUser != "":
			fs, ferr := s.store.ForeignSignatures(s.localpart, t.ForeignUser)
			if ferr != nil {
				b.Close()
				return nil, ferr
			}
			merged, merr := mergeSignatureMaps(fs[t.KeyID], t.Signatures)
			if merr != nil {
				b.Close()
				return nil, merr
			}
			b.PutForeignSignatures(s.localpart, t.ForeignUser, t.KeyID, merged)
			continue
		case t.DeviceID != "":
			raw, err = s.store.DeviceKeys(s.localpart, t.DeviceID)
		default:
			raw, err = s.store.CrossSigningKey(s.localpart, t.Usage)
		}
		if err != nil {
			b.Close()
			return nil, err
		}
		merged, err := mergeSignatures(raw, t.Signatures)
		if err != nil {
			b.Close()
			return nil, err
		}
		if t.DeviceID != "" {
			b.PutDeviceKeys(s.localpart, t.DeviceID, merged)
		} else {
			b.PutCrossSigningKey(s.localpart, t.Usage, merged)
		}
		own = true
	}
	if own {
		_, err := s.store.CommitDeviceListChange(b, s.localpart)
		return nil, err
	}
	return nil, s.commit(b, nil)
}

// mergeSignatures adds sigs to the "signatures" member of a signed object.
func mergeSignatures(object json.RawMessage, sigs map[string]map[string]string) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(object, &obj); err != nil {
		return nil, fmt.Errorf("%w: stored key: %v", persistence.ErrCorrupt, err)
	}
	merged, err := mergeSignatureMaps(obj["signatures"], sigs)
	if err != nil {
		return nil, err
	}
	obj["signatures"] = merged
	return json.Marshal(obj)
}

func mergeSignatureMaps(existing json.RawMessage, sigs map[string]map[string]string) (json.RawMessage, error) {
	all := make(map[string]map[string]string)
	if len(existing) > 0 {
		if err := json.Unmarshal(existing, &all); err != nil {
			return nil, fmt.Errorf("%w: stored signatures: %v", persistence.ErrCorrupt, err)
		}
	}
	for signer, m := range sigs {
		if all[signer] == nil {
			all[signer] = make(map[string]string)
		}
		for id, sig := range m {
			all[signer][id] = sig
		}
	}
	return json.Marshal(all)
}
