// Package internal holds nothing itself; its sub-packages are the helpers
// the bench programs share (mx: the client-server HTTP client, proc: CPU and
// memory of processes, parallel: bounded fan-out, axontest: an in-process
// Axon for the programs' tests). Only packages under bench/ import them.
package internal
