package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/proc"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8008", "client API base URL of the homeserver")
	senders := flag.Int("senders", 16, "concurrent senders (one device each)")
	rooms := flag.Int("rooms", 1, "rooms to spread the sends over")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	user := flag.String("user", fmt.Sprintf("bench-rooms-%d", time.Now().UnixNano()), "user to register and send as")
	flag.Parse()
	c, err := mx.New(*url, *senders, time.Minute)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s, err := prepare(c, *user, *senders, *rooms)
	if err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(1)
	}
	// CPU time here is the load generator's own; the server's is on its
	// side of the socket.
	r, err := run(c, s, 0, *duration, proc.SelfCPU)
	fmt.Printf("senders=%d rooms=%d load1=%s: %s (client CPU)\n", *senders, *rooms, proc.LoadAverage(), r)
	if err != nil {
		fmt.Fprintln(os.Stderr, "send:", err)
		os.Exit(1)
	}
}
