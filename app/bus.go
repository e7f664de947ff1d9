package app

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
)

// EventFilter selects the events a subscriber wants; empty fields match everything.
type EventFilter struct {
	CallID string
	Types  []EventType
}

// Match reports whether ev passes the filter.
func (f EventFilter) Match(ev Event) bool {
	if f.CallID != "" && ev.CallID != f.CallID {
		return false
	}
	return len(f.Types) == 0 || slices.Contains(f.Types, ev.Type)
}

// Bus stores every event and fans it out to live subscribers. Each subscriber has a bounded
// buffer; one that falls behind is dropped (its Done closes) rather than blocking a call.
type Bus struct {
	store Store
	log   *slog.Logger

	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	dropped atomic.Int64
}

// NewBus returns a bus that persists through store (which may be nil in unit tests).
func NewBus(store Store, log *slog.Logger) *Bus {
	if log == nil {
		log = slog.Default()
	}
	return &Bus{store: store, log: log, subs: make(map[*Subscription]struct{})}
}

// Subscription is one live listener on the bus.
type Subscription struct {
	bus    *Bus
	filter EventFilter
	c      chan Event
	done   chan struct{}
	once   sync.Once
}

// C delivers matching events in publish order.
func (s *Subscription) C() <-chan Event { return s.c }

// Done is closed when the subscription ends: by Close, or because it fell behind.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Close ends the subscription; it is safe to call more than once.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
	s.once.Do(func() { close(s.done) })
}

// Subscribe registers a listener with room for buffer undelivered events.
func (b *Bus) Subscribe(f EventFilter, buffer int) *Subscription {
	if buffer <= 0 {
		buffer = 256
	}
	s := &Subscription{bus: b, filter: f, c: make(chan Event, buffer), done: make(chan struct{})}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Dropped counts subscribers dropped for being too slow since start.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }

// Publish stores ev (setting its Seq) and delivers it to every matching subscriber without
// blocking. A store failure is logged, not returned: live listeners still get the event.
func (b *Bus) Publish(ctx context.Context, ev Event) Event {
	if ev.Data == nil {
		ev.Data = map[string]any{}
	}
	if b.store != nil {
		if err := b.store.AppendEvent(context.WithoutCancel(ctx), &ev); err != nil {
			b.log.Error("store event", "call_id", ev.CallID, "type", ev.Type, "err", err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if !s.filter.Match(ev) {
			continue
		}
		select {
		case s.c <- ev:
		default:
			delete(b.subs, s)
			s.once.Do(func() { close(s.done) })
			b.dropped.Add(1)
			b.log.Warn("dropped slow event subscriber", "call_id", s.filter.CallID)
		}
	}
	return ev
}
