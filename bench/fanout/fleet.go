package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/signing"
)

// ErrListen is a listener the synthetic servers could not open.
var ErrListen = errors.New("fanout: cannot listen")

// fleet is the synthetic servers: one hub, one listener per loopback
// address for IP-literal names (or one for named servers), peers in
// destination order.
type fleet struct {
	hub   *fedtest.Hub
	peers []*fedtest.Peer
	index map[string]int
	// overrides maps named servers to the listener, for the target's
	// federation_addresses; empty for IP-literal names.
	overrides map[string]string
}

// startFleet listens and creates o.servers peers, each with a key whose ID
// names this run (a target that met a peer of the same name in an earlier
// run has that run's key cached under the old ID).
func startFleet(o *options, runID string) (*fleet, error) {
	var caPEM []byte
	if o.caFile != "" {
		b, err := os.ReadFile(o.caFile)
		switch {
		case err == nil:
			caPEM = b
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("-ca: %w", err)
		}
	}
	addrs := make([]string, 0, o.servers)
	names := make([]string, 0, o.servers)
	if o.names == namesIP {
		base := net.ParseIP(o.ipBase).To4()
		for i := range o.servers {
			a := net.JoinHostPort(ipAdd(base, i).String(), strconv.Itoa(o.port))
			addrs, names = append(addrs, a), append(names, a)
		}
	} else {
		addrs = append(addrs, o.listen)
		for i := range o.servers {
			names = append(names, fmt.Sprintf("s%d.fanout.test", i))
		}
	}
	hub, err := fedtest.NewHubWithCA(addrs[0], caPEM)
	if err != nil {
		return nil, listenErr(addrs[0], err)
	}
	f := &fleet{hub: hub, index: make(map[string]int, o.servers)}
	for _, a := range addrs[1:] {
		if err := hub.Listen(a); err != nil {
			hub.Close()
			return nil, listenErr(a, err)
		}
	}
	if o.caFile != "" && caPEM == nil {
		if err := os.WriteFile(o.caFile, hub.CAKeyPEM(), 0o600); err != nil {
			hub.Close()
			return nil, fmt.Errorf("-ca: %w", err)
		}
	}
	for i, name := range names {
		key, err := signing.GenerateKey("fanout" + runID)
		if err != nil {
			hub.Close()
			return nil, err
		}
		p, err := hub.AddPeerKey(name, key)
		if err != nil {
			hub.Close()
			return nil, err
		}
		f.peers = append(f.peers, p)
		f.index[name] = i
	}
	if o.names == namesNamed {
		f.overrides = hub.Overrides()
	}
	return f, nil
}

func listenErr(addr string, err error) error {
	hint := ""
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		hint = " (the port is in use: pick another -port, or -ip-base/-listen)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		hint = " (the address is not on this machine: Linux routes all of 127.0.0.0/8 to loopback, other systems need the aliases added)"
	}
	return fmt.Errorf("%w on %s: %w%s", ErrListen, addr, err, hint)
}

func (f *fleet) close() { f.hub.Close() }

// ensureCA writes a new CA to path unless the file exists.
func ensureCA(path string) error {
	if path == "" {
		return fmt.Errorf("%w: -write-ca needs -ca", ErrOptions)
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer hub.Close()
	if err := os.WriteFile(path, hub.CAKeyPEM(), 0o600); err != nil {
		return fmt.Errorf("-ca: %w", err)
	}
	return nil
}
