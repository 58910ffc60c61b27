package persistence

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ErrAliasInUse reports a PutAlias of an alias that already points to a
// room (client-server-api "Room aliases": PUT /directory/room/{roomAlias}
// answers 409 M_UNKNOWN).
var ErrAliasInUse = errors.New("persistence: room alias already in use")

// Alias is one local room alias of the room directory.
type Alias struct {
	Alias  string `json:"-"`
	RoomID string `json:"room_id"`
	// Creator is the user who created the alias; they may delete it
	// whatever their power in the room.
	Creator   string `json:"creator,omitempty"`
	CreatedMS int64  `json:"created_ms,omitempty"`
}

// Rows of the 'A' family: the alias itself, and an index of a room's
// aliases for GET /rooms/{roomId}/aliases and for moving them on upgrade.
const (
	aliasRow      byte = 0
	aliasRoomsRow byte = 1
)

func aliasKey(alias string) []byte {
	return appendComponent([]byte{prefixAlias, aliasRow}, alias)
}

func roomAliasesPrefix(roomID string) []byte {
	return appendComponent([]byte{prefixAlias, aliasRoomsRow}, roomID)
}

func roomAliasKey(roomID, alias string) []byte {
	return appendComponent(roomAliasesPrefix(roomID), alias)
}

// ResolveAlias returns the room alias points to; ErrNotFound if none.
func (s *Store) ResolveAlias(alias string) (Alias, error) {
	var a Alias
	if err := s.getJSON(aliasKey(alias), &a); err != nil {
		return Alias{}, err
	}
	a.Alias = alias
	return a, nil
}

// PutAlias makes a.Alias point to a.RoomID, durably. An alias that already
// exists is ErrAliasInUse, even when it points to the same room. POST
// /createRoom (room_alias_name) and PUT /directory/room/{roomAlias} call it.
func (s *Store) PutAlias(a Alias) error {
	if len(a.Alias) > maxKeyComponentBytes || len(a.RoomID) > maxKeyComponentBytes {
		return ErrKeyTooLong
	}
	s.singleUse.Lock()
	defer s.singleUse.Unlock()
	if _, err := s.ResolveAlias(a.Alias); err == nil {
		return fmt.Errorf("%w: %s", ErrAliasInUse, a.Alias)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	b := s.NewBatch()
	b.setJSON(aliasKey(a.Alias), a)
	b.set(roomAliasKey(a.RoomID, a.Alias), nil)
	return b.Commit()
}

// DeleteAlias removes alias; ErrNotFound if it does not exist.
func (s *Store) DeleteAlias(alias string) error {
	s.singleUse.Lock()
	defer s.singleUse.Unlock()
	a, err := s.ResolveAlias(alias)
	if err != nil {
		return err
	}
	b := s.NewBatch()
	b.delete(aliasKey(alias))
	b.delete(roomAliasKey(a.RoomID, alias))
	return b.Commit()
}

// RoomAliases returns the local aliases pointing to roomID, sorted.
func (s *Store) RoomAliases(roomID string) ([]string, error) {
	p := roomAliasesPrefix(roomID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("persistence: listing aliases: %w", err)
	}
	defer it.Close()
	var out []string
	for it.First(); it.Valid(); it.Next() {
		alias, ok := firstComponent(it.Key()[len(p):])
		if !ok {
			return nil, fmt.Errorf("%w: alias index key", ErrCorrupt)
		}
		out = append(out, alias)
	}
	return out, it.Error()
}

// MoveAliases points every alias of from at to, keeping their creators
// (module room_upgrades.md, "Server behaviour" step 4: local aliases move
// to the new room). It returns the aliases moved.
func (s *Store) MoveAliases(from, to string) ([]string, error) {
	s.singleUse.Lock()
	defer s.singleUse.Unlock()
	aliases, err := s.RoomAliases(from)
	if err != nil {
		return nil, err
	}
	b := s.NewBatch()
	for _, alias := range aliases {
		a, err := s.ResolveAlias(alias)
		if err != nil {
			b.Close()
			return nil, err
		}
		a.RoomID = to
		b.setJSON(aliasKey(alias), a)
		b.delete(roomAliasKey(from, alias))
		b.set(roomAliasKey(to, alias), nil)
	}
	return aliases, b.Commit()
}

// firstComponent decodes the length-prefixed component at the start of k
// and returns a copy of it.
func firstComponent(k []byte) (string, bool) {
	if len(k) < 2 {
		return "", false
	}
	n := int(k[0])<<8 | int(k[1])
	if len(k) < 2+n {
		return "", false
	}
	return string(k[2 : 2+n]), true
}
