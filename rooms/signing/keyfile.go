package signing

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ReadKeyFile reads signing keys in the format of Synapse's signing.key: one
// key per line, "ed25519 <version> <unpadded base64 seed>". Blank lines are
// skipped; anything else malformed is an ErrKeyFile naming the line.
func ReadKeyFile(r io.Reader) ([]KeyPair, error) {
	var keys []KeyPair
	scanner := bufio.NewScanner(r)
	for line := 1; scanner.Scan(); line++ {
		fields := strings.Fields(scanner.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%w: line %d: want \"algorithm version seed\"", ErrKeyFile, line)
		}
		id, err := ParseKeyID(fields[0] + ":" + fields[1])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrKeyFile, line, err)
		}
		seed, err := DecodeBase64(fields[2])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrKeyFile, line, err)
		}
		key, err := KeyFromSeed(id, seed)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrKeyFile, line, err)
		}
		keys = append(keys, key)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("signing: read key file: %w", err)
	}
	return keys, nil
}

// WriteKeyFile writes keys in the format ReadKeyFile reads.
func WriteKeyFile(w io.Writer, keys ...KeyPair) error {
	var b strings.Builder
	for _, k := range keys {
		if len(k.Private) != 64 {
			return fmt.Errorf("%w: key %s has no private part", ErrSeed, k.ID)
		}
		fmt.Fprintf(&b, "%s %s %s\n", k.ID.Algorithm(), k.ID.Version(), EncodeBase64(k.Seed()))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("signing: write key file: %w", err)
	}
	return nil
}
