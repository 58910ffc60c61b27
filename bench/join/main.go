package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/rooms/version"
)

func main() {
	members := flag.Int("members", 10000, "member events in the room's state besides the owner's")
	joins := flag.Int("joins", 3, "joins to measure, each by a fresh Axon")
	roomVersion := flag.String("room-version", "12", "room version of the generated room")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the joins (not the generation) to this file")
	dataDir := flag.String("dir", "", "directory for the joining servers' data (default: the system's temporary directory); /dev/shm takes the disk out of the persist phase")
	flag.Parse()
	if err := run(*members, *joins, *roomVersion, *cpuProfile, *dataDir); err != nil {
		fmt.Fprintln(os.Stderr, "join:", err)
		os.Exit(1)
	}
}

func run(members, joins int, roomVersion, cpuProfile, dataDir string) error {
	v, err := version.Lookup(version.ID(roomVersion))
	if err != nil {
		return err
	}
	w, err := newWorld(v, members, dataDir, nil)
	if err != nil {
		return err
	}
	defer w.close()
	fmt.Printf("room version %s, %d state events, %d auth-chain events, answer %.1f MB; generated in %s; load1 %s\n",
		v.ID, len(w.room.state), len(w.room.chain), float64(len(w.answer))/1e6, w.generated.Round(time.Millisecond), proc.LoadAverage())
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for i := range joins {
		s, err := w.joinFresh()
		if err != nil {
			return fmt.Errorf("join %d: %w", i+1, err)
		}
		fmt.Printf("join %d: %s\n", i+1, s)
	}
	return nil
}
