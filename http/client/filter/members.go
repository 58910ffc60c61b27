package filter

// LazyMembers returns the state keys of the m.room.member events a lazily
// loading client must receive with a timeline (spec: "Lazy-loading room
// members"): the senders of the timeline's events, less those the client
// already has (sent) unless include_redundant_members is set.
func (f RoomEventFilter) LazyMembers(timelineSenders []string, sent map[string]bool) []string {
	if !f.LazyLoadMembers {
		return nil
	}
	seen := make(map[string]bool, len(timelineSenders))
	var out []string
	for _, s := range timelineSenders {
		if seen[s] || (!f.IncludeRedundantMembers && sent[s]) {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}
