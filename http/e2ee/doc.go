// Package e2ee is the federation side of end-to-end encryption, shared by
// the client and federation APIs (spec: server-server-api "Device
// Management", "End-to-End Encryption", "Send-to-device messaging"):
//
//   - key queries and one-time-key claims for users of other servers, fanned
//     out one request per server with a deadline (query.go, claim.go);
//   - a cache of remote users' device lists and cross-signing keys, kept
//     while a local user shares a room with them, updated by inbound
//     m.device_list_update and m.signing_key_update EDUs, resynchronised
//     with /user/devices when an update does not chain (cache.go,
//     inbound.go);
//   - m.device_list_update and m.signing_key_update EDUs announcing local
//     users' device and key changes to every server sharing a room with
//     them (publish.go), and the full lists to a server that newly shares a
//     room with them (newservers.go);
//   - m.direct_to_device EDUs, queued durably before the client is answered
//     (todevice.go).
//
// It writes only the persistence rows documented in
// persistence/remotedevices.go (and remote entries of the device-list
// change log), the to-device outbox (persistence/todeviceoutbox.go) and the
// servers given a room's device lists (persistence/roomdevicelistservers.go).
// It hands EDUs to the server actors through Config.SendEDU and wakes them
// for queued to-device EDUs through Config.WakeToDevice, so it imports
// neither actors/ nor Pebble; the homeserver wires it.
package e2ee
