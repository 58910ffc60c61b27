package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/axonhs/axon/bench/internal/cli"
)

func main() {
	var o options
	flag.StringVar(&o.target, "target", "http://127.0.0.1:8008", "client API base URL of the homeserver")
	flag.StringVar(&o.fedAddr, "fed", "", "host:port of the homeserver's federation listener (default: server discovery on its server name)")
	flag.BoolVar(&o.insecure, "insecure", true, "do not verify the homeserver's federation certificate (throwaway self-signed servers); false with -target-ca to verify")
	flag.StringVar(&o.targetCA, "target-ca", "", "PEM file of the CA that signed the homeserver's federation certificate")
	flag.IntVar(&o.servers, "servers", 500, "synthetic remote servers to join to the room")
	flag.StringVar(&o.names, "names", namesIP, "names of the synthetic servers: ip (127.0.1.1:8448, … on their own loopback addresses: any homeserver reaches them without DNS) or named (s0.fanout.test, … on -listen: the homeserver needs them in its address map)")
	flag.StringVar(&o.ipBase, "ip-base", "127.0.1.1", "first loopback address of -names ip")
	flag.IntVar(&o.port, "port", 8448, "port of every -names ip listener")
	flag.StringVar(&o.listen, "listen", "127.0.0.1:0", "listener of -names named")
	flag.StringVar(&o.caFile, "ca", "fanout-ca.pem", "CA of the synthetic servers' TLS certificates: read if it exists, else made and written (give it to the homeserver as federation_ca_file); empty: a fresh CA every run")
	flag.StringVar(&o.room, "room", "", "room to use (the local users join it) instead of creating a public one")
	flag.IntVar(&o.senders, "senders", 4, "local users sending messages, one request in flight each")
	flag.Float64Var(&o.rate, "rate", 0, "messages per second; 0 sends as fast as -senders allow (-ramp: the starting rate, default 10)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long to send (-ramp: at most)")
	flag.DurationVar(&o.drain, "drain", 60*time.Second, "how long to wait after the sending for deliveries still in flight")
	o.Common.Register(flag.CommandLine, "fanout", "local users")
	flag.IntVar(&o.verifyEvery, "verify-every", 50, "check the X-Matrix signature and every PDU's signatures and hashes of one transaction in this many (0: none)")
	flag.IntVar(&o.joinWidth, "join-width", 8, "joins over federation in flight at once")
	flag.DurationVar(&o.probeGap, "probe-gap", time.Second, "quiet after each of the single messages sent before the timed phase, so that the next one meets an idle room")
	flag.BoolVar(&o.ramp, "ramp", false, "raise the rate by -ramp-factor every -ramp-step until the delivery p99 passes -p99; prints the ceiling")
	flag.Float64Var(&o.rampFactor, "ramp-factor", 1.5, "rate multiplier per ramp step")
	flag.DurationVar(&o.rampStep, "ramp-step", 10*time.Second, "length of a ramp step")
	flag.DurationVar(&o.p99, "p99", time.Second, "delivery p99 threshold of -ramp")
	flag.Float64Var(&o.down, "down", 0, "fraction of the destinations that go down during the run (then come back and must receive everything, in order)")
	flag.StringVar(&o.downMode, "down-mode", downFail, "how a down destination behaves: fail (503 at once) or hang (requests held open)")
	flag.DurationVar(&o.downAt, "down-at", 3*time.Second, "when into the timed phase the destinations go down")
	flag.DurationVar(&o.downFor, "down-for", 10*time.Second, "how long they stay down")
	writeCA := flag.Bool("write-ca", false, "only write the -ca file (if missing) and exit: run it once, then point the homeserver's federation_ca_file at it")
	flag.Parse()
	if *writeCA {
		if err := ensureCA(o.caFile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(cli.ExitFailed)
		}
		fmt.Println(o.caFile)
		return
	}
	if err := o.validate(); err != nil {
		cli.Refuse(err)
	}
	cli.Main(func(ctx context.Context) error {
		_, err := run(ctx, &o, os.Stdout)
		return err
	})
}
