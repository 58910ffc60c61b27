package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"
)

var (
	errBlankPassword    = errors.New("axon: password cannot be blank")
	errPasswordMismatch = errors.New("axon: passwords do not match")
	errPasswordTooLong  = errors.New("axon: password is longer than bcrypt's 72 bytes")
)

// hashPassword bcrypt-hashes a password at cost as Axon's account
// handlers do (http/client) and Synapse's hash_password does: the
// password's Unicode NFKC form, so that the same password typed with
// another composition matches. bcrypt reads only 72 bytes; a longer
// (normalised) password is refused rather than silently cut.
func hashPassword(password string, cost int) (string, error) {
	pw := []byte(norm.NFKC.String(password))
	if len(pw) == 0 {
		return "", errBlankPassword
	}
	if len(pw) > 72 {
		return "", errPasswordTooLong
	}
	h, err := bcrypt.GenerateFromPassword(pw, cost)
	if err != nil {
		return "", fmt.Errorf("hashing: %w", err)
	}
	return string(h), nil
}

// readPassword gets a password for a command: prompted twice without echo
// when in is a terminal, otherwise one line read from in.
func readPassword(in io.Reader, prompts io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(prompts, "Password: ")
		pw, err := readNoEcho(f)
		fmt.Fprintln(prompts)
		if err != nil {
			return "", err
		}
		if pw == "" {
			return "", errBlankPassword
		}
		fmt.Fprint(prompts, "Confirm password: ")
		again, err := readNoEcho(f)
		fmt.Fprintln(prompts)
		if err != nil {
			return "", err
		}
		if pw != again {
			return "", errPasswordMismatch
		}
		return pw, nil
	}
	line, err := readLine(bufio.NewReader(in))
	if err != nil {
		return "", err
	}
	if line == "" {
		return "", errBlankPassword
	}
	return line, nil
}

// readLine reads one line without its line ending; end of input ends the
// line.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errBlankPassword
		}
		return "", fmt.Errorf("reading password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
