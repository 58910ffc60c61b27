package client

import (
	"encoding/json"
	"slices"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// recurseDepth is how many levels of relations recurse=true follows
// (relations.yaml: "Homeservers SHOULD traverse at least 3 levels").
const recurseDepth = 3

// defaultRelationsLimit is the timelinePage size of /relations and /threads when
// the client gives none.
const defaultRelationsLimit = 50

// relatedChild is one child in the relations index with its event.
type relatedChild struct {
	rel persistence.Relation
	ev  persistence.StoredEvent
}

// GET /v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]
// (relations.yaml): the visible children of an event the user may see,
// newest first by default, paginated by stream position.
func (a *API) getRelations(ctx *fasthttp.RequestCtx, s user.Session) error {
	parentID, err := pathEventOf(ctx)
	if err != nil {
		return err
	}
	relType, err := axhttp.Param(ctx, "relType")
	if err != nil {
		return err
	}
	eventType, err := axhttp.Param(ctx, "eventType")
	if err != nil {
		return err
	}
	dir := axhttp.Query(ctx, "dir")
	if dir == "" {
		dir = "b"
	}
	if dir != "b" && dir != "f" {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "dir must be b or f")
	}
	backwards := dir == "b"
	limit, err := pageLimitParam(ctx, defaultRelationsLimit)
	if err != nil {
		return err
	}
	recurse := false
	switch axhttp.Query(ctx, "recurse") {
	case "", "false":
	case "true":
		recurse = true
	default:
		return axhttp.Errorf(axhttp.CodeInvalidParam, "recurse must be true or false")
	}
	from, fromGiven, err := optionalRoomToken(axhttp.Query(ctx, "from"))
	if err != nil {
		return readError(err)
	}
	to, toGiven, err := optionalRoomToken(axhttp.Query(ctx, "to"))
	if err != nil {
		return readError(err)
	}
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	if _, err := v.visibleEvent(parentID); err != nil {
		return err
	}
	children, err := v.descendants(parentID, relType, recurse)
	if err != nil {
		return err
	}
	slices.SortFunc(children, func(x, y relatedChild) int {
		c := compareStream(x.rel.Stream, y.rel.Stream)
		if backwards {
			return -c
		}
		return c
	})
	var chunk []persistence.StoredEvent
	var last relatedChild
	more := false
	for _, c := range children {
		pos := c.rel.Stream
		if fromGiven && ((backwards && pos >= from.room.Stream) || (!backwards && pos <= from.room.Stream)) {
			continue
		}
		if toGiven && ((backwards && pos <= to.room.Stream) || (!backwards && pos >= to.room.Stream)) {
			break
		}
		if eventType != "" {
			h, err := v.header(c.ev)
			if err != nil {
				return err
			}
			if h.Type != eventType {
				continue
			}
		}
		if len(chunk) == limit {
			more = true
			break
		}
		chunk = append(chunk, c.ev)
		last = c
	}
	out, err := v.serveEvents(chunk, a.readNow())
	if err != nil {
		return err
	}
	resp := map[string]any{"chunk": out}
	if more {
		resp["next_batch"] = roomToken{Topo: uint64(max(last.ev.Depth, 0)), Stream: last.rel.Stream}.String()
	}
	if fromGiven {
		resp["prev_batch"] = axhttp.Query(ctx, "from")
	}
	if recurse {
		resp["recursion_depth"] = recurseDepth
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, resp)
	return nil
}

// descendants returns the visible children of parentID of relType (any
// when ""), and with recurse their children too, down to recurseDepth
// levels, at most maxReadScan of them.
func (v *roomView) descendants(parentID, relType string, recurse bool) ([]relatedChild, error) {
	var out []relatedChild
	seen := map[uint64]bool{}
	level := []string{parentID}
	depth := 1
	if recurse {
		depth = recurseDepth
	}
	for d := 0; d < depth && len(level) > 0 && len(out) < maxReadScan; d++ {
		var nextLevel []string
		for _, p := range level {
			rels, err := v.store.Relations(p, "", 0, false, maxReadScan)
			if err != nil {
				return nil, err
			}
			for _, r := range rels {
				if seen[r.ChildNID] || len(out) >= maxReadScan {
					continue
				}
				seen[r.ChildNID] = true
				se, err := v.store.EventByNID(r.ChildNID)
				if err != nil {
					return nil, err
				}
				ok, err := v.canSee(se)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
				nextLevel = append(nextLevel, se.EventID)
				if relType == "" || r.RelType == relType {
					out = append(out, relatedChild{rel: r, ev: se})
				}
			}
		}
		level = nextLevel
	}
	return out, nil
}

func compareStream(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// relatesToOf reads m.relates_to of an event's content.
func relatesToOf(content json.RawMessage) (relType, eventID string) {
	var c struct {
		R *struct {
			RelType string `json:"rel_type"`
			EventID string `json:"event_id"`
		} `json:"m.relates_to"`
	}
	if json.Unmarshal(content, &c) != nil || c.R == nil {
		return "", ""
	}
	return c.R.RelType, c.R.EventID
}
