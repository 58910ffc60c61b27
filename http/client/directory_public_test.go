package client

import (
	"encoding/json"
	"testing"
)

func TestPublicRoomsFilter(t *testing.T) {
	space := "m.space"
	rooms := []publicRoom{
		{RoomID: "!a", Name: "Gardening", Topic: "Tomatoes and more"},
		{RoomID: "!b", Name: "Chess", CanonicalAlias: "#chess-club:hs", RoomType: &space},
		{RoomID: "!c"},
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{`{}`, []string{"!a", "!b", "!c"}},
		{`{"filter":{"generic_search_term":"TOMATO"}}`, []string{"!a"}},
		{`{"filter":{"generic_search_term":"club"}}`, []string{"!b"}},
		{`{"filter":{"generic_search_term":"  "}}`, []string{"!a", "!b", "!c"}},
		{`{"filter":{"room_types":["m.space"]}}`, []string{"!b"}},
		{`{"filter":{"room_types":[null]}}`, []string{"!a", "!c"}},
		{`{"filter":{"room_types":[null,"m.space"],"generic_search_term":"chess"}}`, []string{"!b"}},
		{`{"filter":{"room_types":[]}}`, nil},
	} {
		var q publicRoomsQuery
		if err := json.Unmarshal([]byte(tc.query), &q); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rooms {
			if q.matches(r) {
				got = append(got, r.RoomID)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
			}
		}
	}
}
