package signing

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// EncodeBase64 is unpadded standard base64 (appendices.md "Unpadded Base64"),
// the encoding of keys, signatures and hashes.
func EncodeBase64(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

// EncodeURLBase64 is unpadded URL-safe base64 (appendices.md "URL-safe
// unpadded Base64"), used by event IDs from room version 4 on.
func EncodeURLBase64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// DecodeBase64 decodes standard or URL-safe base64, with or without "="
// padding: "implementations SHOULD accept input with or without padding
// characters wherever possible" (appendices.md "Unpadded Base64"). The two
// alphabets may not be mixed in one string. Non-zero bits after the last
// whole byte are ignored, as the spec's own test key
// (YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1) has them.
func DecodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		// encoding/base64 skips line breaks; keys and signatures have none.
		return nil, fmt.Errorf("%w: line break", ErrBase64)
	}
	trimmed := strings.TrimRight(s, "=")
	if len(s)-len(trimmed) > 2 || (len(s) != len(trimmed) && len(s)%4 != 0) {
		return nil, fmt.Errorf("%w: bad padding", ErrBase64)
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(trimmed, "-_") {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(trimmed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBase64, err)
	}
	return b, nil
}
