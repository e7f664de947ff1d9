package notify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
)

func TestCallTableHoldFiresOnce(t *testing.T) {
	c := newCallTable()
	t0 := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	ev := func(typ app.EventType, at time.Duration) {
		c.observe(app.Event{Type: typ, CallID: "c1", Timestamp: t0.Add(at), Data: map[string]any{}})
	}
	ev(app.EventCallStarted, 0)
	ev(app.EventHoldDetected, time.Minute)
	ev(app.EventHoldDetected, 3*time.Minute) // repeated: hold still started at 1 min
	if f := c.due(t0.Add(10*time.Minute), []int{10}); len(f) != 0 {
		t.Fatalf("fired after 9 min on hold: %+v", f)
	}
	f := c.due(t0.Add(11*time.Minute), []int{10, 30})
	if len(f) != 1 || f[0].minutes != 10 || f[0].info.Hold != 10*time.Minute {
		t.Fatalf("%+v", f)
	}
	if f := c.due(t0.Add(12*time.Minute), []int{10}); len(f) != 0 {
		t.Fatalf("fired twice: %+v", f)
	}
	// A false human stops the hold clock; hold resumes and accumulates.
	ev(app.EventHumanDetected, 20*time.Minute) // 19 min held
	if f := c.due(t0.Add(40*time.Minute), []int{30}); len(f) != 0 {
		t.Fatalf("fired while not on hold: %+v", f)
	}
	ev(app.EventHumanWithdrawn, 21*time.Minute)
	ev(app.EventHoldDetected, 22*time.Minute)
	if f := c.due(t0.Add(32*time.Minute), []int{10, 30}); len(f) != 0 { // 29 min held
		t.Fatalf("early: %+v", f)
	}
	if f := c.due(t0.Add(33*time.Minute), []int{10, 30}); len(f) != 1 || f[0].minutes != 30 {
		t.Fatalf("%+v", f)
	}
}

func TestHoldLongerThanFiresOnceOnScaledClock(t *testing.T) {
	clk := clock.NewScaled(600) // one clock minute per 100 ms
	h := newHarness(t, Options{Clock: clk, HoldCheckEvery: 5 * time.Second})
	hold := h.add(Target{Name: "hold", Kind: KindBrowser, Enabled: true, Events: []string{"hold_longer_than:1"}})
	h.add(Target{Name: "humans only", Kind: KindBrowser, Enabled: true})
	h.bus.Publish(t.Context(), app.Event{Type: app.EventCallStarted, CallID: "call_hold", Timestamp: clk.Now(), Data: map[string]any{"number": "+18005551234"}})
	h.bus.Publish(t.Context(), app.Event{Type: app.EventHoldDetected, CallID: "call_hold", Timestamp: clk.Now(), Data: map[string]any{"audio_type": "music"}})
	ev := h.next()
	if ev.Type != app.EventNotificationSent || ev.Data["target_id"] != hold.ID || ev.Data["event_type"] != "hold_longer_than:1" || ev.CallID != "call_hold" {
		t.Fatalf("event %v %v", ev.Type, ev.Data)
	}
	if ev.Data["title"] != "Still on hold with +18005551234 after 1 minute" {
		t.Fatalf("title %q", ev.Data["title"])
	}
	h.none(400 * time.Millisecond) // four more clock minutes on hold: no second firing
	ds, _ := h.store.RecentDeliveries(t.Context(), DeliveryFilter{CallID: "call_hold"})
	if len(ds) != 1 {
		t.Fatalf("deliveries %+v", ds)
	}
}

func TestRulesScopingAndOwnEvents(t *testing.T) {
	h := newHarness(t, Options{})
	all := h.add(Target{Name: "all", Kind: KindBrowser, Enabled: true,
		Events: []string{"human_detected", "call_failed", "call_ended", "transfer_failed", "wait_estimated"}})
	desk := h.add(Target{Name: "desk only", Kind: KindBrowser, Enabled: true, DeviceID: "dev_desk"})
	h.add(Target{Name: "off", Kind: KindBrowser, Enabled: false})

	// Events the notifier publishes itself, even of a watched-looking shape, cause nothing.
	h.publish(app.EventNotificationSent, "call_r", map[string]any{"event_type": "human_detected"})
	h.publish(app.EventNotificationFail, "call_r", map[string]any{})
	h.publish(app.EventHoldDetected, "call_r", nil) // not a rule for anyone here
	h.next()
	h.next() // the two published just above
	h.none(100 * time.Millisecond)

	h.publish(app.EventTransferStarted, "call_r", map[string]any{"device": "dev_cell"})
	h.publish(app.EventWaitEstimated, "call_r", map[string]any{"estimated_wait_seconds": 900.0})
	ev := h.next()
	if ev.Data["target_id"] != all.ID || ev.Data["title"] != "Estimated wait at the company: 15m0s" {
		t.Fatalf("event %v", ev.Data)
	}
	h.publish(app.EventHumanDetected, "call_r", nil) // device dev_cell: not for the desk target
	if ev := h.next(); ev.Data["target_id"] != all.ID {
		t.Fatalf("event %v", ev.Data)
	}
	h.none(100 * time.Millisecond)

	h.publish(app.EventTransferStarted, "call_desk", map[string]any{"device": "Desk phone", "device_id": "dev_desk"})
	h.publish(app.EventHumanDetected, "call_desk", nil)
	seen := map[any]bool{}
	for range 2 {
		seen[h.next().Data["target_id"]] = true
	}
	if !seen[all.ID] || !seen[desk.ID] {
		t.Fatalf("seen %v", seen)
	}
	h.none(100 * time.Millisecond)
	if n := h.bus.Dropped(); n != 0 {
		t.Fatalf("dropped %d", n)
	}
}

// fakeCalls is a CallLookup over a map.
type fakeCalls map[string]app.Call

func (f fakeCalls) GetCall(_ context.Context, id string) (app.Call, error) {
	c, ok := f[id]
	if !ok {
		return app.Call{}, app.ErrNotFound
	}
	return c, nil
}

func TestCallLookupFillsMessage(t *testing.T) {
	h := newHarness(t, Options{Calls: fakeCalls{"call_l": {ID: "call_l", Number: "+18005559999", Company: "Acme Bank", Device: "dev_desk"}}})
	h.add(Target{Name: "desk", Kind: KindBrowser, Enabled: true, DeviceID: "dev_desk"})
	h.publish(app.EventHumanDetected, "call_l", map[string]any{"confidence": 0.8})
	ev := h.next()
	body, _ := ev.Data["body"].(string)
	if ev.Data["title"] != "Pick up: a person answered at +18005559999" || !strings.Contains(body, "Acme Bank (+18005559999)") ||
		!strings.Contains(body, "Transferring to: dev_desk") || !strings.Contains(body, "Confidence: 80%") {
		t.Fatalf("event %v", ev.Data)
	}
}

func TestManageAndTest(t *testing.T) {
	h := newHarness(t, Options{}) // no desktop on this machine
	ctx := t.Context()
	d, err := h.n.CreateTarget(ctx, Target{Name: "desk", Kind: KindDesktop, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.n.CreateTarget(ctx, Target{Name: "bad", Kind: KindWebhook}); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("invalid create: %v", err)
	}
	w, err := h.n.CreateTarget(ctx, Target{Name: "hook", Kind: KindWebhook, Enabled: true,
		Config: map[string]string{"url": "http://127.0.0.1:1/x"}, Secrets: map[string]string{"secret": "whsec-abc123"}})
	if err != nil {
		t.Fatal(err)
	}
	// PUT without secrets keeps the stored one.
	if _, err := h.n.UpdateTarget(ctx, w.ID, Target{Name: "hook2", Kind: KindWebhook, Enabled: false,
		Config: map[string]string{"url": "http://127.0.0.1:1/y"}}); err != nil {
		t.Fatal(err)
	}
	stored, _ := h.store.GetTarget(ctx, w.ID)
	if stored.Secrets["secret"] != "whsec-abc123" || stored.Name != "hook2" {
		t.Fatalf("stored %+v", stored.Redacted())
	}
	views, _ := h.n.ListTargets(ctx)
	if len(views) != 2 || views[1].SecretsSet[0] != "secret" {
		t.Fatalf("views %+v", views)
	}
	if _, err := h.n.Test(ctx, "nope"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("test missing: %v", err)
	}
	res, err := h.n.Test(ctx, d.ID)
	if err != nil || res.Status != StatusSkipped || res.EventType != "test" {
		t.Fatalf("desktop test %+v %v", res, err)
	}
	if ev := h.next(); ev.Type != app.EventNotificationFail || ev.Data["status"] != StatusSkipped {
		t.Fatalf("event %v %v", ev.Type, ev.Data)
	}
	if err := h.n.DeleteTarget(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.n.DeleteTarget(ctx, d.ID); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if strings.Contains(h.logs.String(), "whsec-abc123") {
		t.Fatal("webhook secret reached the logs")
	}
}

func TestDesktopDelivers(t *testing.T) {
	got := make(chan [2]string, 1)
	h := newHarness(t, Options{Desktop: func(title, body string) error { got <- [2]string{title, body}; return nil }})
	h.add(Target{Name: "desk", Kind: KindDesktop, Enabled: true, Events: []string{"call_ended"}})
	h.publish(app.EventCallEnded, "call_e", map[string]any{"number": "+18005551234", "duration": 125.0, "reason": "hangup"})
	if ev := h.next(); ev.Type != app.EventNotificationSent {
		t.Fatalf("%v %v", ev.Type, ev.Data)
	}
	g := <-got
	if g[0] != "Call to +18005551234 ended" || !strings.Contains(g[1], "Duration: 2m5s") || !strings.Contains(g[1], "Reason: hangup") {
		t.Fatalf("%q", g)
	}
}

func TestSecretAbsentFromLogsOnFailure(t *testing.T) {
	const token = "tok-super-secret-42"
	h := newHarness(t, Options{TwilioBaseURL: "http://127.0.0.1:1"})
	h.add(Target{Name: "sms", Kind: KindSMS, Enabled: true,
		Config:  map[string]string{"account_sid": "AC1", "to": "+15550001111", "from": "+15550002222"},
		Secrets: map[string]string{"auth_token": token}})
	h.publish(app.EventHumanDetected, "call_z", nil)
	ev := h.next()
	if ev.Type != app.EventNotificationFail {
		t.Fatalf("%v %v", ev.Type, ev.Data)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "notification failed") || strings.Contains(logs, token) {
		t.Fatalf("logs:\n%s", logs)
	}
	if strings.Contains(ev.Data["error"].(string), token) {
		t.Fatal("token in the event")
	}
}
