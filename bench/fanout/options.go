package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/axonhs/axon/bench/internal/cli"
)

// ErrOptions is a flag value the program cannot run with.
var ErrOptions = errors.New("fanout: bad option")

// Naming schemes of the synthetic servers.
const (
	namesIP    = "ip"    // 127.0.1.1:8448, 127.0.1.2:8448, …: reachable by any homeserver without DNS
	namesNamed = "named" // s0.fanout.test, …: one listener; the target needs an address map
)

// Down modes: how an unreachable destination behaves.
const (
	downFail = "fail" // answers 503 at once
	downHang = "hang" // holds requests open until it comes back
)

// options are the program's flags, parsed.
type options struct {
	cli.Common

	target      string // client API base URL
	fedAddr     string // host:port of the target's federation listener; empty: discovery
	insecure    bool   // skip the target's certificate check
	targetCA    string // PEM file to verify the target's certificate with
	servers     int
	names       string
	ipBase      string // first loopback address of the ip scheme
	port        int    // port of every ip-scheme listener
	listen      string // listener of the named scheme
	caFile      string // CA of the synthetic servers' certificates, kept across runs
	room        string
	senders     int
	rate        float64
	duration    time.Duration
	drain       time.Duration
	verifyEvery int
	joinWidth   int
	probeGap    time.Duration

	ramp       bool
	rampFactor float64
	rampStep   time.Duration
	p99        time.Duration

	// phaseHook, when set, is called as the timed phase begins (true) and
	// after the drain (false): the benchmark profiles that span only.
	phaseHook func(begin bool)

	down     float64
	downMode string
	downAt   time.Duration
	downFor  time.Duration
}

func (o *options) validate() error {
	if err := o.Common.Validate(ErrOptions); err != nil {
		return err
	}
	switch {
	case o.servers < 1 || o.servers > 60000:
		return fmt.Errorf("%w: -servers %d: want 1 to 60000", ErrOptions, o.servers)
	case o.names != namesIP && o.names != namesNamed:
		return fmt.Errorf("%w: -names %q: want %s or %s", ErrOptions, o.names, namesIP, namesNamed)
	case o.senders < 1:
		return fmt.Errorf("%w: -senders must be at least 1", ErrOptions)
	case o.rate < 0:
		return fmt.Errorf("%w: -rate must not be negative", ErrOptions)
	case o.duration <= 0 || o.drain < 0 || o.GiveUp <= 0:
		return fmt.Errorf("%w: -duration and -give-up must be positive, -drain not negative", ErrOptions)
	case o.verifyEvery < 0 || o.joinWidth < 1 || o.probeGap < 0:
		return fmt.Errorf("%w: -verify-every and -probe-gap must not be negative, -join-width at least 1", ErrOptions)
	case o.ramp && (o.rampFactor <= 1 || o.rampStep <= 0 || o.p99 <= 0):
		return fmt.Errorf("%w: -ramp needs -ramp-factor > 1, a positive -ramp-step and -p99", ErrOptions)
	case o.ramp && o.down > 0:
		return fmt.Errorf("%w: -ramp and -down do not combine", ErrOptions)
	case o.down < 0 || o.down > 1:
		return fmt.Errorf("%w: -down %g: want a fraction from 0 to 1", ErrOptions, o.down)
	case o.down > 0 && o.downMode != downFail && o.downMode != downHang:
		return fmt.Errorf("%w: -down-mode %q: want %s or %s", ErrOptions, o.downMode, downFail, downHang)
	case o.down > 0 && (o.downAt < 0 || o.downFor <= 0 || o.downAt+o.downFor > o.duration):
		return fmt.Errorf("%w: -down-at + -down-for must fall within -duration", ErrOptions)
	}
	if o.names == namesIP {
		ip := net.ParseIP(o.ipBase).To4()
		if ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("%w: -ip-base %q: want an IPv4 loopback address (127.x.y.z)", ErrOptions, o.ipBase)
		}
		if o.port < 1 || o.port > 65535 {
			return fmt.Errorf("%w: -port %d", ErrOptions, o.port)
		}
		if last := ipAdd(ip, o.servers-1); last == nil || !last.IsLoopback() {
			return fmt.Errorf("%w: -servers %d from -ip-base %s leaves 127.0.0.0/8", ErrOptions, o.servers, o.ipBase)
		}
	}
	return nil
}

// ipAdd is ip + n within IPv4, or nil past 255.255.255.255.
func ipAdd(ip net.IP, n int) net.IP {
	v := uint64(ip[0])<<24 | uint64(ip[1])<<16 | uint64(ip[2])<<8 | uint64(ip[3])
	v += uint64(n)
	if v > 0xffffffff {
		return nil
	}
	return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)).To4()
}

// mode names the run's mode for people.
func (o *options) mode() string {
	switch {
	case o.ramp:
		return "ramp"
	case o.down > 0:
		return "down"
	}
	return "steady"
}

// params is o for the summary.
func (o *options) params() map[string]string {
	rate := "max"
	if o.rate > 0 {
		rate = strconv.FormatFloat(o.rate, 'g', -1, 64) + "/s"
	}
	p := map[string]string{
		"mode": o.mode(), "servers": strconv.Itoa(o.servers), "names": o.names, "senders": strconv.Itoa(o.senders),
		"rate": rate, "duration": o.duration.String(), "drain": o.drain.String(),
		"registration": o.Registration(),
		"prefix":       o.Prefix, "verify-every": strconv.Itoa(o.verifyEvery),
	}
	if o.room != "" {
		p["room"] = o.room
	}
	if o.ramp {
		p["ramp-factor"], p["ramp-step"], p["p99"] = strconv.FormatFloat(o.rampFactor, 'g', -1, 64), o.rampStep.String(), o.p99.String()
	}
	if o.down > 0 {
		p["down"], p["down-mode"], p["down-at"], p["down-for"] = strconv.FormatFloat(o.down, 'g', -1, 64), o.downMode, o.downAt.String(), o.downFor.String()
	}
	return p
}
