package notify

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

type hookCall struct {
	header http.Header
	body   []byte
	err    error // signature check
}

func TestWebhookSignedAndRetriedAfter500(t *testing.T) {
	const secret = "whsec-shared-secret-123"
	var mu sync.Mutex
	var calls []hookCall
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, hookCall{r.Header.Clone(), b, VerifySignature(secret, r.Header, b, time.Now(), 5*time.Minute)})
		n := len(calls)
		mu.Unlock()
		if n <= 2 {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	h := newHarness(t, Options{})
	tg := h.add(Target{Name: "hook", Kind: KindWebhook, Enabled: true,
		Config: map[string]string{"url": srv.URL + "/hooks/holdslayer"}, Secrets: map[string]string{"secret": secret}})
	h.publish(app.EventCallStarted, "call_w", map[string]any{"number": "+18005551234"})
	h.publish(app.EventHumanDetected, "call_w", map[string]any{"confidence": 0.9})

	ev := h.next()
	if ev.Type != app.EventNotificationSent || ev.Data["attempts"] != 3 || ev.Data["target_kind"] != KindWebhook {
		t.Fatalf("event %v %v", ev.Type, ev.Data)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3", len(calls))
	}
	for i, c := range calls {
		if c.err != nil {
			t.Errorf("call %d: %v", i, c.err)
		}
		if c.header.Get(HeaderDelivery) != calls[0].header.Get(HeaderDelivery) || c.header.Get(HeaderDelivery) == "" {
			t.Errorf("call %d: delivery id %q", i, c.header.Get(HeaderDelivery))
		}
		if c.header.Get(HeaderEvent) != "human_detected" {
			t.Errorf("call %d: event header %q", i, c.header.Get(HeaderEvent))
		}
	}
	var p WebhookPayload
	if err := json.Unmarshal(calls[2].body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != app.EventHumanDetected || p.CallID != "call_w" || p.Rule != "human_detected" ||
		p.Title != "Pick up: a person answered at +18005551234" || p.Data["confidence"] != 0.9 {
		t.Fatalf("payload %+v", p)
	}
	ds, _ := h.store.RecentDeliveries(t.Context(), DeliveryFilter{TargetID: tg.ID})
	if len(ds) != 1 || ds[0].Status != StatusSent || ds[0].Attempts != 3 {
		t.Fatalf("deliveries %+v", ds)
	}

	// A tampered body or an old timestamp does not verify.
	c := calls[2]
	if err := VerifySignature(secret, c.header, append([]byte(nil), strings.Replace(string(c.body), "0.9", "0.1", 1)...), time.Now(), time.Minute); err != ErrBadSignature {
		t.Errorf("tampered body: %v", err)
	}
	if err := VerifySignature(secret, c.header, c.body, time.Now().Add(10*time.Minute), time.Minute); err == nil {
		t.Error("stale timestamp accepted")
	}
}

func TestWebhookNoRetryOn4xx(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		http.Error(w, "no such hook", http.StatusNotFound)
	}))
	defer srv.Close()
	h := newHarness(t, Options{})
	h.add(Target{Name: "hook", Kind: KindWebhook, Enabled: true, Events: []string{"call_ended"},
		Config: map[string]string{"url": srv.URL}})
	h.publish(app.EventCallEnded, "call_x", map[string]any{"number": "+18005551234", "duration": 61.0, "reason": "hangup"})
	ev := h.next()
	if ev.Type != app.EventNotificationFail || ev.Data["attempts"] != 1 || !strings.Contains(ev.Data["error"].(string), "404") {
		t.Fatalf("event %v %v", ev.Type, ev.Data)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// A dead target (nothing listens) is retried, recorded as failed, reported on the bus, and
// the call's events keep flowing to the other targets.
func TestDeadTargetRetriedAndRecorded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + ln.Addr().String() + "/hook"
	ln.Close()

	h := newHarness(t, Options{})
	dead := h.add(Target{Name: "dead", Kind: KindWebhook, Enabled: true, Config: map[string]string{"url": deadURL}})
	browser := h.add(Target{Name: "dashboard", Kind: KindBrowser, Enabled: true})
	h.publish(app.EventHumanDetected, "call_d", map[string]any{"number": "+18005551234"})

	got := map[string]app.Event{}
	for range 2 {
		ev := h.next()
		got[ev.Data["target_id"].(string)] = ev
	}
	if ev := got[dead.ID]; ev.Type != app.EventNotificationFail || ev.Data["attempts"] != 3 || ev.Data["status"] != StatusFailed {
		t.Fatalf("dead target event %v %v", ev.Type, ev.Data)
	}
	if ev := got[browser.ID]; ev.Type != app.EventNotificationSent || ev.Data["title"] != "Pick up: a person answered at +18005551234" {
		t.Fatalf("browser event %v %v", ev.Type, ev.Data)
	}
	ds, _ := h.store.RecentDeliveries(t.Context(), DeliveryFilter{TargetID: dead.ID})
	if len(ds) != 1 || ds[0].Status != StatusFailed || ds[0].Attempts != 3 || ds[0].Error == "" || ds[0].EventType != "human_detected" {
		t.Fatalf("deliveries %+v", ds)
	}
}

// A target that hangs never delays the bus or other targets.
func TestHangingTargetNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	hung := 0
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hung++
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)

	h := newHarness(t, Options{AttemptTimeout: 30 * time.Second})
	h.add(Target{Name: "slow", Kind: KindWebhook, Enabled: true, Events: []string{"human_detected", "call_ended"},
		Config: map[string]string{"url": slow.URL}})
	fast := h.add(Target{Name: "dashboard", Kind: KindBrowser, Enabled: true, Events: []string{"call_ended"}})

	for i := range 50 {
		h.publish(app.EventHumanDetected, "call_h", map[string]any{"n": i})
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return hung > 0 })
	// While the slow target still hangs, the next event reaches the healthy target.
	h.publish(app.EventCallEnded, "call_h", map[string]any{"reason": "hangup"})
	ev := h.next()
	if ev.Type != app.EventNotificationSent || ev.Data["target_id"] != fast.ID {
		t.Fatalf("event %v %v", ev.Type, ev.Data)
	}
	if h.bus.Dropped() != 0 {
		t.Fatalf("bus dropped %d subscribers", h.bus.Dropped())
	}
}

// A delivery in flight when the service stops still goes out within the shutdown grace: the
// webhook answers 300 ms after Run was told to stop, and the delivery is recorded as sent.
// With no grace left the same delivery is cut off and recorded as failed, not lost.
func TestDeliveryInFlightSurvivesShutdown(t *testing.T) {
	if d := deliveryAcrossStop(t, 5*time.Second, 300*time.Millisecond); d.Status != StatusSent {
		t.Fatalf("delivery after shutdown %+v, want sent", d)
	}
	if d := deliveryAcrossStop(t, 50*time.Millisecond, 2*time.Second); d.Status != StatusFailed {
		t.Fatalf("delivery after a short grace %+v, want failed", d)
	}
}

// deliveryAcrossStop stops a notifier with the given grace while its webhook is answering
// (after answerIn) and returns the one delivery recorded.
func deliveryAcrossStop(t *testing.T, grace, answerIn time.Duration) Delivery {
	t.Helper()
	got := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(got)
		time.Sleep(answerIn)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	h := newHarness(t, Options{ShutdownGrace: grace})
	tg := h.add(Target{Name: "hook", Kind: KindWebhook, Enabled: true, Config: map[string]string{"url": srv.URL}})
	h.publish(app.EventHumanDetected, "call_s", map[string]any{"confidence": 0.9})
	<-got
	h.stop()
	ds, err := h.store.RecentDeliveries(t.Context(), DeliveryFilter{TargetID: tg.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("deliveries %+v, want one", ds)
	}
	return ds[0]
}
