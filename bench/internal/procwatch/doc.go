// Package procwatch follows the homeserver under test by its PID while a
// bench program drives it: its CPU time over the measured span, its RSS
// (peak and last), one sample a second into a report.Recorder's gauges,
// and the moment the process goes away.
//
// It reads /proc through bench/internal/proc and writes report types; it
// must not import Axon's packages (the process is measured from outside)
// nor the programs that use it.
package procwatch
