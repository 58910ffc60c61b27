package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/axonhs/axon/bench/internal/cli"
)

// ErrOptions is a flag value the program cannot run with.
var ErrOptions = errors.New("load: bad option")

// kind is one operation of the traffic mix.
type kind int

const (
	opMessage kind = iota
	opTyping
	opReceipt
	opState
	opJoinLeave
	numKinds
)

var kindNames = [numKinds]string{"message", "typing", "receipt", "state", "joinleave"}

func (k kind) String() string { return kindNames[k] }

// seriesName is the recorder series an operation's latency goes to.
func (k kind) seriesName() string {
	if k == opMessage {
		return "send"
	}
	return k.String()
}

// mix is the relative weight of each operation.
type mix [numKinds]int

func parseMix(s string) (mix, error) {
	var m mix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		w, err := strconv.Atoi(strings.TrimSpace(val))
		if !ok || err != nil || w < 0 || w > 1_000_000 {
			return m, fmt.Errorf("%w: -mix %q: want name=weight with a weight from 0 to 1000000", ErrOptions, part)
		}
		k := kind(-1)
		for i, n := range kindNames {
			if n == strings.TrimSpace(name) {
				k = kind(i)
			}
		}
		if k < 0 {
			return m, fmt.Errorf("%w: -mix: unknown operation %q (known: %s)", ErrOptions, name, strings.Join(kindNames[:], ", "))
		}
		m[k] = w // a name given twice keeps its last weight
	}
	if m.total() == 0 {
		return m, fmt.Errorf("%w: -mix %q: no operation has a weight", ErrOptions, s)
	}
	return m, nil
}

func (m mix) String() string {
	var parts []string
	for k, w := range m {
		if w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", kind(k), w))
		}
	}
	return strings.Join(parts, ",")
}

// pick maps r in [0, total) to an operation.
func (m mix) pick(r int) kind {
	for k, w := range m {
		if r < w {
			return kind(k)
		}
		r -= w
	}
	return opMessage
}

func (m mix) total() int {
	t := 0
	for _, w := range m {
		t += w
	}
	return t
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%w: -room-size %q: want members per room (at least 1), or a comma-separated list", ErrOptions, s)
		}
		out = append(out, n)
	}
	return out, nil
}

// options are the program's flags, parsed.
type options struct {
	cli.Common

	url         string
	users       int
	rooms       int
	roomSizes   []int
	syncers     int
	rate        float64
	concurrency int
	mix         mix
	duration    time.Duration
	drain       time.Duration
	syncTimeout time.Duration
}

func (o *options) validate() error {
	if err := o.Common.Validate(ErrOptions); err != nil {
		return err
	}
	switch {
	case o.users < 1 || o.rooms < 1 || o.concurrency < 1:
		return fmt.Errorf("%w: -users, -rooms and -concurrency must be at least 1", ErrOptions)
	case o.syncers < 0 || o.rate < 0:
		return fmt.Errorf("%w: -syncers and -rate must not be negative", ErrOptions)
	case o.duration <= 0 || o.drain < 0 || o.syncTimeout <= 0 || o.GiveUp <= 0:
		return fmt.Errorf("%w: -duration, -sync-timeout and -give-up must be positive, -drain not negative", ErrOptions)
	}
	for _, n := range o.roomSizes {
		if n > o.users {
			return fmt.Errorf("%w: -room-size %d is larger than -users %d", ErrOptions, n, o.users)
		}
	}
	return nil
}

// params is o for the summary.
func (o *options) params() map[string]string {
	sizes := make([]string, len(o.roomSizes))
	for i, n := range o.roomSizes {
		sizes[i] = strconv.Itoa(n)
	}
	rate := "max"
	if o.rate > 0 {
		rate = strconv.FormatFloat(o.rate, 'g', -1, 64) + "/s"
	}
	return map[string]string{
		"users": strconv.Itoa(o.users), "rooms": strconv.Itoa(o.rooms), "room-size": strings.Join(sizes, ","),
		"syncers": strconv.Itoa(o.syncers), "rate": rate, "concurrency": strconv.Itoa(o.concurrency),
		"mix": o.mix.String(), "duration": o.duration.String(), "drain": o.drain.String(),
		"sync-timeout": o.syncTimeout.String(), "registration": o.Registration(),
		"prefix": o.Prefix,
	}
}
