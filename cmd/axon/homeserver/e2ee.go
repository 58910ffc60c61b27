package homeserver

import (
	"github.com/axonhs/axon/actors/server"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/http/e2ee"
)

// newE2EE builds the federation side of end-to-end encryption: remote key
// queries and claims, the cache of remote device lists, and the EDUs that
// announce local device changes and carry to-device messages through the
// server actors (created later, with the federation listener).
func (s *Server) newE2EE() *e2ee.Service {
	return e2ee.New(e2ee.Config{
		ServerName: s.cfg.ServerName,
		Store:      s.store,
		Client:     s.fed.client,
		SendEDU: func(dest string, e federation.EDU) {
			if servers := s.fed.servers; servers != nil {
				servers.SendEDU(dest, server.EDU{EDU: e})
			}
		},
		WakeToDevice: func(dests []string) {
			if servers := s.fed.servers; servers != nil {
				servers.WakeToDevice(dests)
			}
		},
		Changed: func(userID string, watchers []string) {
			if api := s.clientAPI.Load(); api != nil {
				api.WakeDeviceListChangeOf(userID, watchers)
			}
		},
		Log: s.log.Named("e2ee"),
	})
}

// deviceListChanged hears, on a user's actor, that the user's devices or
// keys changed: local /syncs wake, and other servers are told.
func (s *Server) deviceListChanged(localpart string) {
	if api := s.clientAPI.Load(); api != nil {
		api.WakeDeviceListChange(localpart)
	}
	s.e2ee.LocalDevicesChanged(localpart)
}
