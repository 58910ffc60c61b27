// Package federation benchmarks Axon's server-server transport on loopback
// with fake peers (federation/fedtest): inbound transactions of 50 PDUs
// through every receipt check into the room actor, PDU signature checks,
// and outbound delivery of a room's events to 100 fake destinations
// through the server actors. It holds benchmarks only (`go test -bench`);
// the figures are in the top-level README.md (Benchmarks).
package federation
