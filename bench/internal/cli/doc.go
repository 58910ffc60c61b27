// Package cli is what the traffic-driving bench programs (fanout, load)
// share on the command line: the flags that mean the same in each (-pid,
// -json, -html, -progress, -give-up and the account flags) and the exit
// statuses: 2 for flags the program cannot run with, 1 for a run that
// failed or was interrupted (its outputs are written all the same), 0 for
// a clean run.
//
// Standard library only; it must not import the programs.
package cli
