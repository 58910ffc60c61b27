// Package report is the output kit the bench programs share: a
// time-bucketed Recorder (per-bucket counts and a log-linear latency
// histogram of bounded size, written here), a live progress line, a JSON
// Summary for machines and a self-contained HTML report (inline SVG, no
// scripts, styles or fonts fetched from anywhere) that opens in a browser
// without a network.
//
// It imports the standard library only: no Axon package, no protocol code.
package report
