//go:build !linux

package main

import (
	"bufio"
	"os"
)

// isTerminal is false off Linux: passwords are then read as a line of
// standard input (pipe them in, or pass -password).
func isTerminal(*os.File) bool { return false }

func readNoEcho(f *os.File) (string, error) { return readLine(bufio.NewReader(f)) }
