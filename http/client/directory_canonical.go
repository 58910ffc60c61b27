package client

import (
	"encoding/json"
	"fmt"
)

// withoutAlias removes alias from m.room.canonical_alias content: the
// "alias" key when it is that alias, and its entries in "alt_aliases".
// Other keys are kept as they are.
func withoutAlias(content json.RawMessage, alias string) (json.RawMessage, bool, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(content, &m); err != nil {
		return nil, false, fmt.Errorf("canonical alias content: %w", err)
	}
	changed := false
	var main string
	if json.Unmarshal(m["alias"], &main) == nil && main == alias {
		delete(m, "alias")
		changed = true
	}
	var alts []string
	if raw, ok := m["alt_aliases"]; ok && json.Unmarshal(raw, &alts) == nil {
		kept := make([]string, 0, len(alts))
		for _, a := range alts {
			if a != alias {
				kept = append(kept, a)
			}
		}
		if len(kept) != len(alts) {
			changed = true
			m["alt_aliases"] = rawOf(kept)
		}
	}
	if !changed {
		return content, false, nil
	}
	out, err := json.Marshal(m)
	return out, true, err
}
