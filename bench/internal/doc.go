// Package internal holds nothing itself; its sub-packages are the helpers
// the bench programs share:
//   - mx: the client-server HTTP client, registration and login;
//   - proc: CPU and memory of processes;
//   - procwatch: the target process followed by its PID;
//   - liveness: failures by errcode and the target-down watch;
//   - abort: the first-reason-wins stop of a run;
//   - pace: tickets at a rate;
//   - seqlog: numbered records of the messages sent, and their send states;
//   - cli: the common flags and exit statuses;
//   - parallel: bounded fan-out;
//   - fill: fixtures written through the room actors before an in-process
//     benchmark's server starts.
//
// Only packages under bench/ import them; the in-process Axon their tests
// start is cmd/axon/homeserver/homeservertest.
package internal
