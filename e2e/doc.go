// Package e2e proves the call engine end to end: the service's real HTTP API and WebSocket,
// the ARI adapter over real HTTP/WebSocket/RTP, the simulated Asterisk (ari/aritest) with
// scripted companies and user phones, and a real SQLite file per test, all on one accelerated
// clock so a call with a hold takes seconds. One test also builds and runs the holdslayer binary.
// The package holds tests only; this file exists so the package has a doc comment.
package e2e
