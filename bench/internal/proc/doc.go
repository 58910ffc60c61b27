// Package proc reads the CPU time and resident memory of processes: this
// one through getrusage, another (the homeserver under test, given its
// PID) through /proc/<pid>/stat and /proc/<pid>/status (proc(5)). Linux
// only. It imports the standard library only.
package proc
