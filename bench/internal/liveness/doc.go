// Package liveness tells a bench program whether the homeserver under test
// still answers: it counts the failed requests by errcode (mx.Code), keeps
// the last transport error, and watches for a target that has answered
// nothing but transport errors for longer than the program will wait.
// Which answers count as signs of life is the program's choice.
//
// It imports bench/internal/mx for the error codes; it must not import
// Axon's packages.
package liveness
