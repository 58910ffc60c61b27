// Command axon runs the Axon Matrix homeserver.
//
//	axon                      serve with zero set-up (./axon-data)
//	axon serve -config FILE   serve with a config file and override flags
//	axon generate-config      write homeserver.yaml and keys
//	axon hash-password        print a bcrypt hash, as Synapse's hash_password
//	axon register             create a user on a running server (shared secret)
//
// This package is the process edge: flags, files written on first run,
// logging set-up and signals. The server itself is assembled by
// cmd/axon/homeserver; this package holds no protocol logic and imports
// nothing of Axon's but configs, rooms/signing and cmd/axon/homeserver.
package main
