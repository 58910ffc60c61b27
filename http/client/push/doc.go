// Package push holds the server-default push rules and a pure evaluator of
// push rules against an event (spec: client-server-api modules/push.md,
// "Push Rules" and "Predefined Rules").
//
// /sync uses Evaluate for unread notification and highlight counts. The
// package imports only the standard library: no actors, Pebble or fasthttp.
package push
