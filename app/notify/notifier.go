package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
)

// CallLookup finds a call's number, company and device when its events did not carry them.
// app.Store satisfies it.
type CallLookup interface {
	GetCall(ctx context.Context, id string) (app.Call, error)
}

// Options configure a Notifier. Targets and Deliveries are required; the rest have defaults.
type Options struct {
	Targets    TargetStore
	Deliveries DeliveryLog
	Calls      CallLookup // optional: fills in number/company/device for messages and scoping
	Logger     *slog.Logger
	Clock      clock.Clock // hold timing and event timestamps; default clock.Real

	Retry          RetryPolicy
	AttemptTimeout time.Duration // per attempt; default 10 s
	MaxInFlight    int           // concurrent deliveries; beyond it a delivery fails at once; default 64
	HoldCheckEvery time.Duration // clock time between hold_longer_than checks; default 5 s
	// ShutdownGrace is how long (wall time) deliveries in flight may still run after Run's
	// context ends, so a "pick up, a person answered" sent as the service stops still goes
	// out; default 5 s. After it they are cancelled.
	ShutdownGrace time.Duration

	HTTPTransport http.RoundTripper // webhooks, Twilio, shoutrrr services that accept a client
	TwilioBaseURL string            // default DefaultTwilioBaseURL
	SMTPTLSConfig *tls.Config       // e.g. extra root CAs for a private mail server
	Desktop       DesktopFunc       // nil where there is no desktop: desktop targets are skipped
	WallNow       func() time.Time  // webhook replay timestamps; default time.Now
}

// sender delivers one message to one target; errors wrapped by permanent() are not retried.
type sender interface {
	send(ctx context.Context, t Target, m Message, deliveryID string) error
}

// Notifier matches bus events against targets' rules and delivers them in the background.
// Its API-facing methods (targets CRUD, Test, Deliveries) are safe for concurrent use.
type Notifier struct {
	targets    TargetStore
	deliveries DeliveryLog
	lookup     CallLookup
	log        *slog.Logger
	clock      clock.Clock
	retry      RetryPolicy
	timeout    time.Duration
	holdEvery  time.Duration
	grace      time.Duration
	senders    map[string]sender

	sem   chan struct{}
	wg    sync.WaitGroup
	bus   atomic.Pointer[app.Bus]
	calls *callTable // owned by Run's goroutine
}

// watched are the bus events the notifier needs: the rule events plus what tracks a call's
// number, device and hold time. Its own notification_* events are not among them.
var watched = []app.EventType{
	app.EventCallStarted, app.EventCallRinging, app.EventCallConnected,
	app.EventStatusChanged, app.EventHoldDetected, app.EventHumanDetected,
	app.EventTransferStarted, app.EventTransferComplete, app.EventTransferFailed,
	app.EventWaitEstimated, app.EventCallEnded, app.EventCallFailed,
}

// New builds a Notifier; it delivers nothing until Run.
func New(o Options) (*Notifier, error) {
	if o.Targets == nil || o.Deliveries == nil {
		return nil, errors.New("notify: Targets and Deliveries are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 10 * time.Second
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 64
	}
	if o.HoldCheckEvery <= 0 {
		o.HoldCheckEvery = 5 * time.Second
	}
	if o.WallNow == nil {
		o.WallNow = time.Now
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 5 * time.Second
	}
	if o.TwilioBaseURL == "" {
		o.TwilioBaseURL = DefaultTwilioBaseURL
	}
	base, err := url.Parse(o.TwilioBaseURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("notify: twilio base url %q: %w", o.TwilioBaseURL, app.ErrInvalid)
	}
	n := &Notifier{
		targets: o.Targets, deliveries: o.Deliveries, lookup: o.Calls,
		log: o.Logger.With("component", "notify"), clock: o.Clock,
		retry: o.Retry.withDefaults(), timeout: o.AttemptTimeout, holdEvery: o.HoldCheckEvery, grace: o.ShutdownGrace,
		sem: make(chan struct{}, o.MaxInFlight), calls: newCallTable(),
	}
	n.senders = map[string]sender{
		KindEmail:   &emailSender{tlsConfig: o.SMTPTLSConfig, timeout: o.AttemptTimeout},
		KindSMS:     &smsSender{baseURL: base, transport: o.HTTPTransport},
		KindWebhook: &webhookSender{client: &http.Client{Transport: o.HTTPTransport, Timeout: o.AttemptTimeout}, now: o.WallNow},
		KindDesktop: &desktopSender{show: o.Desktop},
		KindPush:    &pushSender{transport: o.HTTPTransport},
		KindBrowser: browserSender{},
	}
	return n, nil
}

// browserSender delivers nothing: the notification_sent event it leads to (with title and
// body) is what the dashboard turns into a browser notification.
type browserSender struct{}

func (browserSender) send(context.Context, Target, Message, string) error { return nil }

// Run subscribes to bus and notifies until ctx ends, then waits for deliveries in flight:
// they get ShutdownGrace to finish before they are cancelled. Results are published on the
// same bus. It returns nil when ctx ends. Run at most once per Notifier.
func (n *Notifier) Run(ctx context.Context, bus *app.Bus) error {
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		stop := time.AfterFunc(n.grace, cancel)
		n.wg.Wait()
		stop.Stop()
		cancel()
	}()
	sub := bus.Subscribe(app.EventFilter{Types: watched}, 1024)
	defer func() { sub.Close() }()
	n.bus.Store(bus) // after subscribing: once visible, no event is missed
	tick := n.clock.NewTicker(n.holdEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-sub.C():
			n.handle(dctx, ev)
		case <-sub.Done():
			// Dropped for falling behind: keep what is buffered, then listen again.
			n.log.Warn("notifier fell behind the event bus; resubscribing")
			old := sub
			sub = bus.Subscribe(app.EventFilter{Types: watched}, 1024)
			for drained := false; !drained; {
				select {
				case ev := <-old.C():
					n.handle(dctx, ev)
				default:
					drained = true
				}
			}
		case now := <-tick.C():
			n.checkHolds(dctx, now)
		}
	}
}

// handle matches one bus event against the targets and starts deliveries.
func (n *Notifier) handle(ctx context.Context, ev app.Event) {
	if ev.Type == app.EventNotificationSent || ev.Type == app.EventNotificationFail {
		return // never notify about our own notifications
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = n.clock.Now()
	}
	var st *callState
	if ev.CallID != "" {
		st = n.calls.observe(ev)
		n.lookupCall(ctx, ev.CallID, st)
		if ev.Type == app.EventCallEnded || ev.Type == app.EventCallFailed {
			defer n.calls.forget(ev.CallID)
		}
	}
	if !slices.Contains(ruleEvents, ev.Type) {
		return
	}
	targets, err := n.loadTargets(ctx)
	if err != nil {
		n.log.Error("load notification targets", "call_id", ev.CallID, "err", err)
		return
	}
	var info callInfo
	if st != nil {
		info = st.info
	}
	rule := string(ev.Type)
	var msg *Message
	for _, t := range targets {
		if !t.Enabled || !t.wants(rule) || !deviceMatches(t, info) {
			continue
		}
		if msg == nil {
			m := render(rule, ev, info)
			msg = &m
		}
		n.dispatch(ctx, t, *msg)
	}
}

// checkHolds fires hold_longer_than rules for calls whose hold crossed a threshold.
func (n *Notifier) checkHolds(ctx context.Context, now time.Time) {
	n.calls.sweep(now.Add(-12 * time.Hour))
	if len(n.calls.calls) == 0 {
		return
	}
	targets, err := n.loadTargets(ctx)
	if err != nil {
		n.log.Error("load notification targets", "err", err)
		return
	}
	var thresholds []int
	for _, t := range targets {
		if t.Enabled {
			for _, m := range t.holdThresholds() {
				if !slices.Contains(thresholds, m) {
					thresholds = append(thresholds, m)
				}
			}
		}
	}
	if len(thresholds) == 0 {
		return
	}
	for _, f := range n.calls.due(now, thresholds) {
		rule := HoldRule(f.minutes)
		ev := app.Event{
			Type: app.EventType(RuleHoldLongerThan), CallID: f.callID, Timestamp: now,
			Data: map[string]any{"minutes": f.minutes, "hold_seconds": f.info.Hold.Seconds(), "number": f.info.Number},
		}
		msg := render(rule, ev, f.info)
		for _, t := range targets {
			if t.Enabled && t.wants(rule) && deviceMatches(t, f.info) {
				n.dispatch(ctx, t, msg)
			}
		}
	}
}

// deviceMatches applies a target's device scope: a scoped target only hears about calls for
// that device (matched against the device id or name the call's events or stored record
// carry); a call whose device is not known yet matches no scoped target.
func deviceMatches(t Target, info callInfo) bool {
	return t.DeviceID == "" || t.DeviceID == info.DeviceID || t.DeviceID == info.Device
}

func (n *Notifier) lookupCall(ctx context.Context, id string, st *callState) {
	if n.lookup == nil || st.looked {
		return
	}
	if st.info.Number != "" && st.info.Company != "" && st.info.Device != "" {
		return
	}
	st.looked = true
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := n.lookup.GetCall(lctx, id)
	if err != nil {
		n.log.Debug("look up call for notification", "call_id", id, "err", err)
		return
	}
	st.info.Number = firstNonEmpty(st.info.Number, c.Number)
	st.info.Company = firstNonEmpty(st.info.Company, c.Company)
	st.info.Device = firstNonEmpty(st.info.Device, c.Device)
}

func (n *Notifier) loadTargets(ctx context.Context) ([]Target, error) {
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return n.targets.ListTargets(lctx)
}

// dispatch starts one delivery in the background, or fails it at once when MaxInFlight
// deliveries are already running, so the event loop never waits for a target.
func (n *Notifier) dispatch(ctx context.Context, t Target, m Message) {
	select {
	case n.sem <- struct{}{}:
	default:
		n.finish(ctx, t, m, newDeliveryID(), 0, errors.New("too many notifications in flight"))
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer func() { <-n.sem }()
		n.deliver(ctx, t, m, n.retry)
	}()
}

// deliver sends m to t with retries, then records and publishes the outcome.
func (n *Notifier) deliver(ctx context.Context, t Target, m Message, p RetryPolicy) Delivery {
	s := n.senders[t.Kind]
	id := newDeliveryID()
	log := n.log.With("call_id", m.Event.CallID, "target_id", t.ID, "target_kind", t.Kind, "rule", m.Rule)
	if s == nil {
		return n.finish(ctx, t, m, id, 0, permanent(fmt.Errorf("unknown target kind %q", t.Kind)))
	}
	var err error
	attempt := 0
	for {
		attempt++
		actx, cancel := context.WithTimeout(ctx, n.timeout)
		err = s.send(actx, t, m, id)
		cancel()
		if err == nil || errors.Is(err, errSkipped) || isPermanent(err) || attempt >= p.Attempts || ctx.Err() != nil {
			break
		}
		wait := p.backoff(attempt)
		log.Warn("notification attempt failed; retrying", "attempt", attempt, "retry_in", wait, "err", scrub(err.Error(), t))
		if clock.Sleep(ctx, n.clock, wait) != nil {
			break
		}
	}
	return n.finish(ctx, t, m, id, attempt, err)
}

// finish records a delivery, logs it and publishes notification_sent or notification_failed.
func (n *Notifier) finish(ctx context.Context, t Target, m Message, id string, attempts int, err error) Delivery {
	d := Delivery{
		ID: id, TargetID: t.ID, TargetKind: t.Kind, EventType: m.Rule, CallID: m.Event.CallID,
		Status: StatusSent, Attempts: attempts, At: n.clock.Now(),
	}
	switch {
	case err == nil:
	case errors.Is(err, errSkipped):
		d.Status, d.Error = StatusSkipped, scrub(err.Error(), t)
	default:
		d.Status, d.Error = StatusFailed, scrub(err.Error(), t)
	}
	bg := context.WithoutCancel(ctx)
	rctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	if rerr := n.deliveries.RecordDelivery(rctx, d); rerr != nil {
		n.log.Error("record notification delivery", "call_id", d.CallID, "target_id", t.ID, "err", rerr)
	}
	log := n.log.With("call_id", d.CallID, "target_id", t.ID, "target_kind", t.Kind, "rule", m.Rule, "attempts", attempts)
	if d.Status == StatusFailed {
		log.Warn("notification failed", "err", d.Error)
	} else {
		log.Info("notification "+d.Status, "err", d.Error)
	}
	if bus := n.bus.Load(); bus != nil {
		typ := app.EventNotificationSent
		if d.Status != StatusSent {
			typ = app.EventNotificationFail
		}
		data := map[string]any{
			"delivery_id": d.ID, "target_id": t.ID, "target_kind": t.Kind, "target_name": t.Name,
			"event_type": m.Rule, "attempts": attempts, "status": d.Status, "error": d.Error,
		}
		if t.Kind == KindBrowser {
			data["title"], data["body"] = m.Title, m.Body
		}
		bus.Publish(bg, app.Event{Type: typ, CallID: d.CallID, Timestamp: d.At, Data: data})
	}
	return d
}

func newDeliveryID() string { return "ntf_" + uuid.NewString() }
