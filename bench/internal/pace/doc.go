// Package pace spreads a bench program's requests over time: a pacer hands
// out tickets at a rate (which may change while it runs, as a ramp raises
// it), senders take one ticket per request, and tickets taken late count
// as the pacer falling behind schedule.
//
// Standard library only.
package pace
