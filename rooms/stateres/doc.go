// Package stateres resolves the state of a Matrix room after a fork: given
// several state sets of one room version it computes the single state the
// room has where they meet. It implements the three algorithms of the spec:
//
//   - v1, the original algorithm of room version 1 (content/rooms/v1.md,
//     "State resolution");
//   - v2, for room versions 2 to 11 (content/rooms/fragments/v2-state-res.md);
//   - v2.1, room version 12's amendment of v2 (content/rooms/v12.md, "State
//     resolution"): the power events are replayed on the empty state, and the
//     conflicted state subgraph joins the full conflicted set.
//
// Resolve is the entry point; AuthChain and AuthDifference expose two of the
// building blocks because federation (/event_auth, /state) needs them too.
// Events come from the caller through the Events interface, so the package
// never touches storage.
//
// Where the spec leaves room, the package does what deployed servers do, so
// that rooms converge across implementations:
//
//   - the full auth chain of a state set includes the set's own events;
//   - step 1 enlarges the power events by following auth_events only
//     through events of the full conflicted set, and the Kahn sort uses the
//     auth edges between those events;
//   - in room version 12 the create event, implied by the room ID, counts
//     as an auth event of every other event;
//   - v1's pass over "all other conflicts" keeps the event of lowest depth
//     when none is allowed, and each member slot is resolved against the
//     state as it was when the member pass began;
//   - events rejected on receipt are skipped only when they would serve as
//     auth state (v2 "Rejected events"); see Rejections.
//
// All work is done on events numbered 0…n-1 (bitsets, int32 edges) rather
// than on ID strings; a cyclic auth graph is refused with ErrCycle before
// any walk.
//
// It owns the algorithms only; whether a single event is allowed is the
// business of rooms/auth, which it calls for the iterative auth checks.
//
// It imports only the standard library, rooms/event, rooms/version and
// rooms/auth; it must not import actors, persistence, federation, http or any
// I/O library.
package stateres
