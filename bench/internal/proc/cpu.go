package proc

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	// ErrStat is an unreadable or malformed /proc/<pid>/stat.
	ErrStat = errors.New("proc: unreadable /proc/<pid>/stat")
	// ErrStatus is an unreadable or malformed /proc/<pid>/status.
	ErrStatus = errors.New("proc: unreadable /proc/<pid>/status")
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// Linux fixes it at 100 on every architecture Go supports (sysconf's
// _SC_CLK_TCK would need cgo to ask).
const clockTick = 10 * time.Millisecond

// SelfCPU is this process's user plus system CPU time so far.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPU is the user plus system CPU time of process pid so far, from fields
// 14 and 15 of /proc/<pid>/stat.
func CPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrStat, err)
	}
	return ParseStat(string(data))
}

// ParseStat reads utime and stime from a /proc/<pid>/stat line. The
// command name (field 2) is in parentheses and may hold spaces and ')', so
// fields are counted from the last ')'.
func ParseStat(s string) (time.Duration, error) {
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0, fmt.Errorf("%w: no command name", ErrStat)
	}
	fields := strings.Fields(s[end+1:])
	// fields[0] is field 3 (state); utime is field 14, stime field 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("%w: %d fields", ErrStat, len(fields)+2)
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64)
	stime, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrStat, err)
	}
	const maxTicks = uint64(math.MaxInt64 / int64(clockTick))
	if utime > maxTicks || stime > maxTicks-utime {
		return 0, fmt.Errorf("%w: CPU time out of range", ErrStat)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// LoadAverage is the machine's 1-minute load average as /proc/loadavg
// prints it, or "?"; figures measured on a shared machine quote it.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
