package homeserver

import (
	"go.uber.org/zap"

	"github.com/axonhs/axon/federation"
)

// handshake is the federation side of the client API's joins, knocks,
// leaves and invites across servers; nil until the federation listener's
// keyring exists.
func (s *Server) handshake() *federation.Handshake {
	if s.fed.client == nil || s.fed.keyring == nil {
		return nil
	}
	return &federation.Handshake{Client: s.fed.client, Keyring: s.fed.keyring, ServerName: s.cfg.ServerName, Key: s.key,
		OnSendJoin: s.logSendJoin}
}

// logSendJoin logs how long fetching and verifying a send_join answer
// took: joining a large room is slow, and operators (and bench/join, which
// reads these entries) want to know where the time went.
func (s *Server) logSendJoin(t federation.JoinTimings) {
	fields := []zap.Field{
		zap.String("room_id", t.RoomID), zap.String("destination", t.Server),
		zap.Time("started", t.Started), zap.Duration("fetch", t.Fetch), zap.Duration("verify", t.Verify),
		zap.Int("bytes", t.Bytes), zap.Int("state_events", t.StateEvents), zap.Int("auth_chain_events", t.AuthChainEvents),
	}
	if t.Err != nil {
		s.log.Info("send_join answer refused", append(fields, zap.Error(t.Err))...)
		return
	}
	s.log.Info("send_join answer verified", fields...)
}
