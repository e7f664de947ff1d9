package app

import (
	"context"
	"fmt"
)

// NoBackend answers the call API when no telephony backend is configured: every call operation
// fails with a clear ErrUnavailable, never a fake success. Reads of stored calls still work.
type NoBackend struct {
	Store Store
}

var errNoBackend = fmt.Errorf("no telephony backend connected: %w", ErrUnavailable)

// Place refuses: there is nothing to dial with.
func (NoBackend) Place(context.Context, CallRequest) (Call, error) { return Call{}, errNoBackend }

// Get returns the stored record of a call.
func (n NoBackend) Get(ctx context.Context, id string) (Call, error) {
	if n.Store == nil {
		return Call{}, fmt.Errorf("call not found: %s: %w", id, ErrNotFound)
	}
	return n.Store.GetCall(ctx, id)
}

// Active is empty: no call can be live without a backend.
func (NoBackend) Active(context.Context) []Call { return nil }

// Hangup refuses.
func (NoBackend) Hangup(context.Context, string) error { return errNoBackend }

// Transfer refuses.
func (NoBackend) Transfer(context.Context, string, string) error { return errNoBackend }

// SendDTMF refuses.
func (NoBackend) SendDTMF(context.Context, string, string) error { return errNoBackend }

// Ready is false.
func (NoBackend) Ready() bool { return false }
