// Package app is the call engine of Hold Slayer: the registry of live calls, the state machine
// each call runs in its own goroutine, the event bus, and the small interfaces the engine needs
// from the outside world (PBX, store, speech, navigator, notifier).
//
// Nothing in app knows about HTTP, ARI or gorm types: adapters in ari/, api/ and app/store
// satisfy these interfaces, so the engine can be tested with hand-written fakes and the
// simulated Asterisk alike.
package app
