package homeserver

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/axonhs/axon/actors/server"
	"github.com/axonhs/axon/federation"
	axhttp "github.com/axonhs/axon/http"
	httpfed "github.com/axonhs/axon/http/federation"
	"github.com/axonhs/axon/rooms/signing"
)

// Version is what GET /_matrix/federation/v1/version reports.
const Version = "0.1.0-dev"

// federationMaxBody is the largest body any federation route accepts
// (transactions: 50 PDUs of at most 64 KiB each, plus EDUs).
const federationMaxBody = 4 << 20

// federationParts are the server-server transport's pieces.
type federationParts struct {
	servers  *server.Directory
	keys     *federation.Publisher
	client   *federation.Client
	keyring  *federation.Keyring
	notaries []federation.TrustedNotary
}

// prepareFederation builds the publisher and the outbound client from the
// configuration, before anything is opened, so that a bad CA file or key
// fails New with nothing to clean up.
func (s *Server) prepareFederation() error {
	c := s.cfg
	var old []federation.RetiredKey
	for id, k := range c.OldSigningKeys {
		pub, err := signing.DecodeBase64(k.Key)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return fmt.Errorf("homeserver: old_signing_keys %s: not a base64 ed25519 key", id)
		}
		old = append(old, federation.RetiredKey{ID: signing.KeyID(id), Public: pub, ExpiredTS: k.ExpiredTS})
	}
	var caPEM []byte
	if c.FederationCAFile != "" {
		var err error
		if caPEM, err = os.ReadFile(c.FederationCAFile); err != nil {
			return fmt.Errorf("homeserver: reading federation_ca_file: %w", err)
		}
	}
	roots, err := federation.LoadRootCAs(caPEM)
	if err != nil {
		return fmt.Errorf("homeserver: federation_ca_file %s: %w", c.FederationCAFile, err)
	}
	if c.FederationInsecureSkipVerify {
		s.log.Warn("federation_insecure_skip_verify is on: other servers' TLS certificates are NOT checked, " +
			"so anyone on the network path can impersonate them. Never use this in production.")
	}
	for _, ts := range c.TrustedKeyServers {
		n := federation.TrustedNotary{ServerName: ts.ServerName, VerifyKeys: map[signing.KeyID]ed25519.PublicKey{}}
		for id, k := range ts.VerifyKeys {
			pub, err := signing.DecodeBase64(k)
			if err != nil || len(pub) != ed25519.PublicKeySize {
				return fmt.Errorf("homeserver: trusted_key_servers %s: key %s is not a base64 ed25519 key", ts.ServerName, id)
			}
			n.VerifyKeys[signing.KeyID(id)] = pub
		}
		s.fed.notaries = append(s.fed.notaries, n)
	}
	s.fed.keys = federation.NewPublisher(c.ServerName, s.key, old, time.Duration(c.KeyValidityPeriod), nil)
	resolver := federation.NewResolver(federation.ResolverConfig{
		Overrides:     c.FederationAddresses,
		OverridesOnly: c.FederationAddressesOnly,
		WellKnown:     federation.NewHTTPSWellKnown(roots, c.FederationInsecureSkipVerify),
	})
	s.fed.client = federation.NewClient(federation.ClientConfig{
		ServerName:         c.ServerName,
		Key:                s.key,
		Resolver:           resolver,
		RootCAs:            roots,
		InsecureSkipVerify: c.FederationInsecureSkipVerify,
	})
	return nil
}

// federationServer serves the server-server API: keys, notary, version.
// Room-scoped endpoints and /send wrap their handlers in the API's
// Authenticated middleware.
func (s *Server) federationServer() *fasthttp.Server {
	log := s.log.Named("federation")
	s.fed.keyring = federation.NewKeyring(federation.KeyringConfig{
		Self:     s.fed.keys,
		Store:    keyStore{s.store},
		Fetcher:  s.fed.client,
		Notaries: s.fed.notaries,
	})
	servers, err := server.NewDirectory(s.sys, server.Config{
		ServerName: s.cfg.ServerName,
		Store:      s.store,
		Sender:     s.fed.client,
		Log:        log.Named("outbound"),
	})
	if err != nil {
		// Only a broken invariant: every required field is set above.
		panic(err)
	}
	s.fed.servers = servers
	s.rooms.SetOutboxHook(servers.Wake)
	if err := servers.Recover(); err != nil {
		log.Error("resuming federation outboxes", zap.Error(err))
	}
	rt := axhttp.NewRouter(log, nil)
	httpfed.New(httpfed.Config{
		ServerName: s.cfg.ServerName,
		Keys:       s.fed.keys,
		Keyring:    s.fed.keyring,
		Log:        log,
		Version:    Version,
		Store:      s.store,
		Rooms:      s.rooms,
		Users:      s.users,
		Client:     s.fed.client,
		OnContact:  servers.Contacted,
		Typing:     s.remoteTyping,
		E2EE:       s.e2ee,
	}).Mount(rt)
	return axhttp.NewServer("Axon", rt, federationMaxBody, log)
}

// remoteTyping hands an accepted m.typing EDU to the client API, whose
// typing tracker /sync reads; before the client API exists nobody syncs.
func (s *Server) remoteTyping(roomID, userID string, typing bool) {
	if api := s.clientAPI.Load(); api != nil {
		api.SetRemoteTyping(roomID, userID, typing)
	}
}

// FederationClient makes signed requests to other servers as this one.
func (s *Server) FederationClient() *federation.Client { return s.fed.client }

// Servers is the directory of server actors (outbound transactions).
func (s *Server) Servers() *server.Directory { return s.fed.servers }

// Keyring verifies other servers' keys, fetching them as needed.
func (s *Server) Keyring() *federation.Keyring { return s.fed.keyring }
