package actors

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
)

// System is the process's one actor system.
type System struct {
	// Actor is the underlying protoactor system, for the actor packages
	// under actors/ only.
	Actor *actor.ActorSystem
}

// NewSystem starts an actor system whose own log lines go to log.
func NewSystem(log *slog.Logger) *System {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return log
	}))
	return &System{Actor: as}
}

// Shutdown stops the system. Stop the directories first: this does not
// drain mailboxes.
func (s *System) Shutdown() { s.Actor.Shutdown() }
