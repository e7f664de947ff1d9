package notify

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/holdslayer/holdslayer/app"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// net/http keeps idle keep-alive connections' goroutines briefly after servers close.
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness runs a Notifier on a fresh bus with an in-memory store until the test ends.
type harness struct {
	t     *testing.T
	n     *Notifier
	bus   *app.Bus
	store *MemoryStore
	logs  *syncBuffer
	out   *app.Subscription // notification_sent / notification_failed
	stop  func()            // ends Run and waits for it (also done at cleanup)
}

func newHarness(t *testing.T, o Options) *harness {
	t.Helper()
	h := &harness{t: t, store: NewMemoryStore(0), logs: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.bus = app.NewBus(nil, logger)
	o.Targets, o.Deliveries, o.Logger = h.store, h.store, logger
	if o.Retry.Attempts == 0 {
		o.Retry = RetryPolicy{Attempts: 3, Initial: 10 * time.Millisecond, Max: 40 * time.Millisecond}
	}
	if o.AttemptTimeout == 0 {
		o.AttemptTimeout = 3 * time.Second
	}
	if o.ShutdownGrace == 0 {
		o.ShutdownGrace = 200 * time.Millisecond // tests with hanging targets end quickly
	}
	n, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.n = n
	h.out = h.bus.Subscribe(app.EventFilter{Types: []app.EventType{app.EventNotificationSent, app.EventNotificationFail}}, 256)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		done <- n.Run(ctx, h.bus)
	}()
	<-started
	// Run subscribes right away; wait until the bus has its subscription so no event is lost.
	waitFor(t, func() bool { return n.bus.Load() != nil })
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		h.stop()
		h.out.Close()
	})
	return h
}

func (h *harness) add(tg Target) Target {
	h.t.Helper()
	v, err := h.n.CreateTarget(context.Background(), tg)
	if err != nil {
		h.t.Fatalf("create target: %v", err)
	}
	tg.ID = v.ID
	return tg
}

func (h *harness) publish(typ app.EventType, callID string, data map[string]any) {
	h.bus.Publish(context.Background(), app.Event{Type: typ, CallID: callID, Timestamp: time.Now(), Data: data})
}

// next waits for the next notification_sent/failed event.
func (h *harness) next() app.Event {
	h.t.Helper()
	select {
	case ev := <-h.out.C():
		return ev
	case <-time.After(15 * time.Second):
		h.t.Fatal("no notification event within 15 s")
	}
	return app.Event{}
}

// none asserts no notification event arrives within d.
func (h *harness) none(d time.Duration) {
	h.t.Helper()
	select {
	case ev := <-h.out.C():
		h.t.Fatalf("unexpected notification event %v %v", ev.Type, ev.Data)
	case <-time.After(d):
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
