// Package configs holds Axon's configuration: the Config type that mirrors
// homeserver.yaml, its defaults, strict decoding (unknown keys are errors),
// the AXON_* environment variables and serve flags that override the file,
// and validation whose errors name the offending key. configs/README.md lists
// every option.
//
// Of Axon's packages it imports only rooms/ids, to check server_name with
// the same parser as every Matrix identifier, and rooms/version, to check
// default_room_version against the versions the server implements.
package configs
