package persistence

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// End-to-end encryption keys (spec: client-server-api "End-to-End
// Encryption"). The server stores and relays them; it never sees plaintext.
//
//	K | 0 | lp(localpart) | lp(deviceID)              → the device keys JSON as uploaded
//	K | 1 | lp(localpart) | lp(deviceID) | lp(alg) | lp(id) → one one-time key "alg:id"
//	K | 2 | lp(localpart) | lp(deviceID) | lp(alg)    → FallbackKey
//	K | 3 | lp(localpart) | lp(usage)                 → cross-signing key JSON (master, self_signing, user_signing)
//	K | 4 | lp(localpart) | lp(userID) | lp(keyID)    → signatures the user made on another user's key

// FallbackKey is the fallback key of one algorithm of one device.
type FallbackKey struct {
	KeyID string          `json:"key_id"`
	Key   json.RawMessage `json:"key"`
	Used  bool            `json:"used,omitempty"`
}

func deviceKeysKey(localpart, deviceID string) []byte {
	return appendComponent(userFamily(prefixE2EEKeys, subDeviceKeys, localpart), deviceID)
}

func oneTimeKeysPrefix(localpart, deviceID string) []byte {
	return appendComponent(userFamily(prefixE2EEKeys, subOneTimeKey, localpart), deviceID)
}

// oneTimeKeyKey splits the key ID "algorithm:id" into two components, so
// that a claim seeks straight to the keys of one algorithm.
func oneTimeKeyKey(localpart, deviceID, keyID string) []byte {
	alg, id, _ := strings.Cut(keyID, ":")
	return appendComponent(appendComponent(oneTimeKeysPrefix(localpart, deviceID), alg), id)
}

func fallbackKeysPrefix(localpart, deviceID string) []byte {
	return appendComponent(userFamily(prefixE2EEKeys, subFallbackKey, localpart), deviceID)
}

func crossSigningKey(localpart, usage string) []byte {
	return appendComponent(userFamily(prefixE2EEKeys, subCrossSigningKey, localpart), usage)
}

func foreignSignaturesPrefix(signer, targetUser string) []byte {
	return appendComponent(userFamily(prefixE2EEKeys, subForeignSignature, signer), targetUser)
}

// DeviceKeys returns the device keys JSON of a device, or ErrNotFound.
func (s *Store) DeviceKeys(localpart, deviceID string) (json.RawMessage, error) {
	if tooLong(localpart, deviceID) {
		return nil, ErrNotFound
	}
	return s.getRaw(deviceKeysKey(localpart, deviceID))
}

// AllDeviceKeys returns the device keys of every device of localpart that
// uploaded some, by device ID.
func (s *Store) AllDeviceKeys(localpart string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage)
	if tooLong(localpart) {
		return out, nil
	}
	prefix := userFamily(prefixE2EEKeys, subDeviceKeys, localpart)
	err := s.scanPrefix(prefix, prefixEnd(prefix), func(k, v []byte) (bool, error) {
		id, ok := readComponent(k[len(prefix):])
		if !ok {
			return false, fmt.Errorf("%w: device keys key", ErrCorrupt)
		}
		out[id] = append(json.RawMessage(nil), v...)
		return true, nil
	})
	return out, err
}

// OneTimeKeyCounts counts a device's unclaimed one-time keys by algorithm.
func (s *Store) OneTimeKeyCounts(localpart, deviceID string) (map[string]int, error) {
	counts := make(map[string]int)
	if tooLong(localpart, deviceID) {
		return counts, nil
	}
	prefix := oneTimeKeysPrefix(localpart, deviceID)
	err := s.scanPrefix(prefix, prefixEnd(prefix), func(k, _ []byte) (bool, error) {
		alg, ok := readComponent(k[len(prefix):])
		if !ok {
			return false, fmt.Errorf("%w: one-time key key", ErrCorrupt)
		}
		counts[alg]++
		return true, nil
	})
	return counts, err
}

// OneTimeKey returns the stored JSON of one one-time key, or ErrNotFound.
func (s *Store) OneTimeKey(localpart, deviceID, keyID string) (json.RawMessage, error) {
	if tooLong(localpart, deviceID, keyID) {
		return nil, ErrNotFound
	}
	return s.getRaw(oneTimeKeyKey(localpart, deviceID, keyID))
}

// FirstOneTimeKey returns the first unclaimed one-time key of algorithm alg
// (in key order), or ErrNotFound. from, when not empty, is a key ID of the
// algorithm at or before which every key is known to be gone: claims
// delete keys from the front, and starting after them skips their
// tombstones.
func (s *Store) FirstOneTimeKey(localpart, deviceID, alg, from string) (string, json.RawMessage, error) {
	if tooLong(localpart, deviceID, alg, from) {
		return "", nil, ErrNotFound
	}
	prefix := appendComponent(oneTimeKeysPrefix(localpart, deviceID), alg)
	lower := prefix
	if _, rest, ok := strings.Cut(from, ":"); ok {
		lower = appendComponent(append([]byte(nil), prefix...), rest)
	}
	var id string
	var key json.RawMessage
	err := s.scanPrefix(lower, prefixEnd(prefix), func(k, v []byte) (bool, error) {
		rest, ok := readComponent(k[len(prefix):])
		if !ok {
			return false, fmt.Errorf("%w: one-time key key", ErrCorrupt)
		}
		id, key = alg+":"+rest, append(json.RawMessage(nil), v...)
		return false, nil
	})
	if err == nil && id == "" {
		err = ErrNotFound
	}
	return id, key, err
}

// FallbackKeys returns a device's fallback keys by algorithm.
func (s *Store) FallbackKeys(localpart, deviceID string) (map[string]FallbackKey, error) {
	out := make(map[string]FallbackKey)
	if tooLong(localpart, deviceID) {
		return out, nil
	}
	prefix := fallbackKeysPrefix(localpart, deviceID)
	err := s.scanPrefix(prefix, prefixEnd(prefix), func(k, v []byte) (bool, error) {
		alg, ok := readComponent(k[len(prefix):])
		if !ok {
			return false, fmt.Errorf("%w: fallback key key", ErrCorrupt)
		}
		var f FallbackKey
		if err := json.Unmarshal(v, &f); err != nil {
			return false, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		out[alg] = f
		return true, nil
	})
	return out, err
}

// CrossSigningKey returns the user's cross-signing key of usage (master,
// self_signing, user_signing), or ErrNotFound.
func (s *Store) CrossSigningKey(localpart, usage string) (json.RawMessage, error) {
	if tooLong(localpart, usage) {
		return nil, ErrNotFound
	}
	return s.getRaw(crossSigningKey(localpart, usage))
}

// ForeignSignatures returns the signatures signer made on targetUser's
// keys, by key ID; each value is a signatures object {signer: {keyID: sig}}.
func (s *Store) ForeignSignatures(signer, targetUser string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage)
	if tooLong(signer, targetUser) {
		return out, nil
	}
	prefix := foreignSignaturesPrefix(signer, targetUser)
	err := s.scanPrefix(prefix, prefixEnd(prefix), func(k, v []byte) (bool, error) {
		id, ok := readComponent(k[len(prefix):])
		if !ok {
			return false, fmt.Errorf("%w: signature key", ErrCorrupt)
		}
		out[id] = append(json.RawMessage(nil), v...)
		return true, nil
	})
	return out, err
}

// PutDeviceKeys stores a device's keys JSON.
func (b *Batch) PutDeviceKeys(localpart, deviceID string, keys json.RawMessage) {
	if b.check(localpart, deviceID) {
		b.set(deviceKeysKey(localpart, deviceID), keys)
	}
}

// PutOneTimeKey stores one one-time key.
func (b *Batch) PutOneTimeKey(localpart, deviceID, keyID string, key json.RawMessage) {
	if b.check(localpart, deviceID, keyID) {
		b.set(oneTimeKeyKey(localpart, deviceID, keyID), key)
	}
}

// DeleteOneTimeKey removes a claimed one-time key.
func (b *Batch) DeleteOneTimeKey(localpart, deviceID, keyID string) {
	if b.check(localpart, deviceID, keyID) {
		b.delete(oneTimeKeyKey(localpart, deviceID, keyID))
	}
}

// PutFallbackKey stores the fallback key of algorithm alg.
func (b *Batch) PutFallbackKey(localpart, deviceID, alg string, f FallbackKey) {
	if b.check(localpart, deviceID, alg) {
		b.setJSON(appendComponent(fallbackKeysPrefix(localpart, deviceID), alg), f)
	}
}

// PutCrossSigningKey stores a cross-signing key of usage.
func (b *Batch) PutCrossSigningKey(localpart, usage string, key json.RawMessage) {
	if b.check(localpart, usage) {
		b.set(crossSigningKey(localpart, usage), key)
	}
}

// PutForeignSignatures stores signer's signatures on one key of targetUser.
func (b *Batch) PutForeignSignatures(signer, targetUser, keyID string, sigs json.RawMessage) {
	if b.check(signer, targetUser, keyID) {
		b.set(appendComponent(foreignSignaturesPrefix(signer, targetUser), keyID), sigs)
	}
}

// DeleteDeviceE2EE removes a deleted device's keys, one-time and fallback
// keys and to-device inbox.
func (b *Batch) DeleteDeviceE2EE(localpart, deviceID string) {
	if !b.check(localpart, deviceID) {
		return
	}
	b.delete(deviceKeysKey(localpart, deviceID))
	for _, p := range [][]byte{oneTimeKeysPrefix(localpart, deviceID), fallbackKeysPrefix(localpart, deviceID), toDeviceInboxPrefix(localpart, deviceID)} {
		b.deleteRange(p, prefixEnd(p))
	}
}

// UnusedFallbackKeyTypes lists the algorithms of a device's fallback keys
// that no claim has used yet, sorted: /sync's
// device_unused_fallback_key_types.
func (s *Store) UnusedFallbackKeyTypes(localpart, deviceID string) ([]string, error) {
	fbs, err := s.FallbackKeys(localpart, deviceID)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for alg, f := range fbs {
		if !f.Used {
			out = append(out, alg)
		}
	}
	sort.Strings(out)
	return out, nil
}
