// Package abort is the first-reason-wins stop of a bench run: any
// goroutine (the target watch, the process watch, Ctrl-C) may end the run
// early with a reason, the driver selects on Done, and the reason is read
// once the run has stopped.
//
// Standard library only.
package abort
