package homeserver

import "github.com/axonhs/axon/federation"

// handshake is the federation side of the client API's joins, knocks,
// leaves and invites across servers; nil until the federation listener's
// keyring exists.
func (s *Server) handshake() *federation.Handshake {
	if s.fed.client == nil || s.fed.keyring == nil {
		return nil
	}
	return &federation.Handshake{Client: s.fed.client, Keyring: s.fed.keyring, ServerName: s.cfg.ServerName, Key: s.key}
}
