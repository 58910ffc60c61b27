package persistence

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadToken reports a pagination token that is not a Topo.
var ErrBadToken = errors.New("persistence: malformed pagination token")

// String renders t as a pagination token: "t<depth>_<stream>".
func (t Topo) String() string {
	return "t" + strconv.FormatInt(t.Depth, 10) + "_" + strconv.FormatUint(t.Stream, 10)
}

// ParseTopo parses a token made by Topo.String.
func ParseTopo(s string) (Topo, error) {
	rest, ok := strings.CutPrefix(s, "t")
	if !ok {
		return Topo{}, fmt.Errorf("%w: %q", ErrBadToken, s)
	}
	d, st, ok := strings.Cut(rest, "_")
	if !ok {
		return Topo{}, fmt.Errorf("%w: %q", ErrBadToken, s)
	}
	depth, err1 := strconv.ParseInt(d, 10, 64)
	stream, err2 := strconv.ParseUint(st, 10, 64)
	if err1 != nil || err2 != nil {
		return Topo{}, fmt.Errorf("%w: %q", ErrBadToken, s)
	}
	return Topo{Depth: depth, Stream: stream}, nil
}
