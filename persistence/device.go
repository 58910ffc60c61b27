package persistence

import (
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Device returns one device of localpart, or ErrNotFound.
func (s *Store) Device(localpart, deviceID string) (Device, error) {
	var d Device
	if len(localpart) > maxKeyComponentBytes || len(deviceID) > maxKeyComponentBytes {
		return d, ErrNotFound
	}
	err := s.getJSON(deviceKey(localpart, deviceID), &d)
	d.ID = deviceID
	return d, err
}

// Devices lists the devices of localpart, ordered by device ID bytes.
func (s *Store) Devices(localpart string) ([]Device, error) {
	if len(localpart) > maxKeyComponentBytes {
		return nil, nil
	}
	prefix := devicePrefix(prefixDevice, localpart)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, fmt.Errorf("persistence: iterating devices: %w", err)
	}
	defer it.Close()
	var out []Device
	for ok := it.First(); ok; ok = it.Next() {
		id, ok := readComponent(it.Key()[len(prefix):])
		if !ok {
			return nil, fmt.Errorf("%w: device key", ErrCorrupt)
		}
		val, err := it.ValueAndErr()
		if err != nil {
			return nil, fmt.Errorf("persistence: reading device: %w", err)
		}
		var d Device
		if err := json.Unmarshal(val, &d); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		d.ID = id // readComponent copied it
		out = append(out, d)
	}
	return out, it.Error()
}

// PutDevice writes a device of localpart.
func (b *Batch) PutDevice(localpart string, d Device) {
	if b.check(localpart, d.ID) {
		b.setJSON(deviceKey(localpart, d.ID), d)
	}
}

// DeleteDevice removes a device row. Its tokens are removed separately with
// DeleteToken and DeleteRefreshToken (see Store.DeviceTokens).
func (b *Batch) DeleteDevice(localpart, deviceID string) {
	if b.check(localpart, deviceID) {
		b.delete(deviceKey(localpart, deviceID))
	}
}

// readComponent decodes one length-prefixed component and returns a copy.
func readComponent(k []byte) (string, bool) {
	if len(k) < 2 {
		return "", false
	}
	n := int(k[0])<<8 | int(k[1])
	if len(k) < 2+n {
		return "", false
	}
	return string(k[2 : 2+n]), true
}
