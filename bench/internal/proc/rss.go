package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// RSS is the resident set size of process pid in bytes, from the VmRSS line
// of /proc/<pid>/status.
func RSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrStatus, err)
	}
	return ParseStatusRSS(string(data))
}

// ParseStatusRSS reads "VmRSS:   1234 kB" from a /proc/<pid>/status text.
func ParseStatusRSS(s string) (int64, error) {
	for line := range strings.Lines(s) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%w: VmRSS line %q", ErrStatus, strings.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 || kb > 1<<43 {
			return 0, fmt.Errorf("%w: VmRSS %q", ErrStatus, f[0])
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("%w: no VmRSS line", ErrStatus)
}
