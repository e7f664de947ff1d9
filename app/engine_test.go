package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/store"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const company = "+18005551234"
const companyEP = "PJSIP/" + company + "@trunk"

// env is one engine with a fake PBX, a real SQLite store and a bus subscriber, inside a
// synctest bubble so ring timeouts and hours of hold pass instantly.
type env struct {
	t      *testing.T
	pbx    *fakePBX
	st     *store.Store
	bus    *app.Bus
	eng    *app.Engine
	sub    *app.Subscription
	seen   []app.Event
	dir    string
	cancel context.CancelFunc
	runErr chan error
}

func newEnv(t *testing.T, mutate func(*app.EngineConfig)) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	dir := t.TempDir()
	st, err := store.Open(t.Context(), dir+"/hs.db", log)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	pbx := newFakePBX()
	bus := app.NewBus(st, log)
	cfg := app.EngineConfig{
		PBX: pbx, Store: st, Bus: bus, Log: log,
		Analyzer:      scriptedAnalyzerFactory,
		RecordingsDir: dir + "/recordings",
		Limits: app.Limits{
			MaxConcurrentCalls: 3, RingTimeout: 30 * time.Second, DeviceRingTimeout: 20 * time.Second,
			MaxHoldDuration: 2 * time.Hour, MaxCallDuration: 3 * time.Hour,
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	e := &env{t: t, pbx: pbx, st: st, bus: bus, eng: app.NewEngine(cfg), dir: dir, runErr: make(chan error, 1)}
	e.sub = bus.Subscribe(app.EventFilter{}, 4096)
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() { e.runErr <- e.eng.Run(ctx) }()
	return e
}

// close shuts everything down; the synctest bubble then proves no goroutine is left.
func (e *env) close() {
	e.t.Helper()
	e.cancel()
	if err := <-e.runErr; err != nil {
		e.t.Errorf("engine run: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.eng.Shutdown(ctx); err != nil {
		e.t.Errorf("shutdown: %v", err)
	}
	e.sub.Close()
	if err := e.st.Close(); err != nil {
		e.t.Errorf("close store: %v", err)
	}
}

func (e *env) addDevice(name, endpoint string, priority int, online bool) app.Device {
	e.t.Helper()
	d := app.Device{Name: name, Type: "sip_phone", SIPURI: "sip:" + name + "@example.net", Endpoint: endpoint, Priority: priority}
	if err := e.st.CreateDevice(e.t.Context(), &d); err != nil {
		e.t.Fatalf("create device: %v", err)
	}
	e.pbx.setOnline(endpoint, online)
	return d
}

func (e *env) addFlow(steps ...app.Step) app.CallFlow {
	e.t.Helper()
	f := app.CallFlow{ID: "acme_support", Name: "Acme support", Company: "Acme", PhoneNumber: company, Steps: steps}
	if err := e.st.CreateFlow(e.t.Context(), &f); err != nil {
		e.t.Fatalf("create flow: %v", err)
	}
	return f
}

// settle lets every goroutine of the bubble run until it blocks, then collects events.
func (e *env) settle() {
	synctest.Wait()
	for {
		select {
		case ev := <-e.sub.C():
			e.seen = append(e.seen, ev)
		default:
			return
		}
	}
}

// sleep advances the bubble's clock by d and settles.
func (e *env) sleep(d time.Duration) {
	time.Sleep(d)
	e.settle()
}

func (e *env) place(req app.CallRequest) (app.Call, *fakeSession) {
	e.t.Helper()
	c, err := e.eng.Place(e.t.Context(), req)
	if err != nil {
		e.t.Fatalf("place: %v", err)
	}
	if c.Status != app.StatusTrying || c.ID == "" {
		e.t.Fatalf("first snapshot = %+v, want a trying call with an id", c)
	}
	e.settle()
	s := e.pbx.session(c.ID)
	if s == nil {
		e.t.Fatalf("no pbx session for %s", c.ID)
	}
	return c, s
}

func (e *env) channel(s *fakeSession, endpoint string) string {
	e.t.Helper()
	ch, ok := s.channelTo(endpoint)
	if !ok {
		e.t.Fatalf("nothing dialled %s", endpoint)
	}
	return ch.id
}

func (e *env) get(id string) app.Call {
	e.t.Helper()
	c, err := e.eng.Get(e.t.Context(), id)
	if err != nil {
		e.t.Fatalf("get %s: %v", id, err)
	}
	return c
}

func (e *env) wantStatus(id string, want app.CallStatus) app.Call {
	e.t.Helper()
	c := e.get(id)
	if c.Status != want {
		e.t.Fatalf("status = %s, want %s (reason %q); events: %v", c.Status, want, c.EndReason, e.types(id))
	}
	return c
}

// types lists the event types of call id seen so far, without audio_classified noise.
func (e *env) types(id string) []string {
	var out []string
	for _, ev := range e.seen {
		if ev.CallID == id && ev.Type != app.EventAudioClassified {
			out = append(out, string(ev.Type))
		}
	}
	return out
}

func (e *env) find(id string, t app.EventType) []app.Event {
	var out []app.Event
	for _, ev := range e.seen {
		if ev.CallID == id && ev.Type == t {
			out = append(out, ev)
		}
	}
	return out
}

func (e *env) wantEvent(id string, t app.EventType) app.Event {
	e.t.Helper()
	evs := e.find(id, t)
	if len(evs) == 0 {
		e.t.Fatalf("no %s event; events: %v", t, e.types(id))
	}
	return evs[len(evs)-1]
}

// wantReleased checks the call's PBX session was closed with nothing left behind.
func (e *env) wantReleased(s *fakeSession) {
	e.t.Helper()
	closed, n, chans, bridges := s.state()
	if !closed || n != 1 || chans != 0 || bridges != 0 {
		e.t.Fatalf("session closed=%v closes=%d live channels=%d live bridges=%d; want closed once, nothing live", closed, n, chans, bridges)
	}
	if n, c := s.sourcesClosed(); n != c {
		e.t.Fatalf("%d of %d audio sources left open", n-c, n)
	}
}

// subsequence reports whether want appears in got in order (other entries may sit between).
func subsequence(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func ptr[T any](v T) *T { return &v }

func TestHoldSlayerHappyPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		defer e.close()
		desk := e.addDevice("desk", "PJSIP/desk", 10, true)
		e.addDevice("cell", "PJSIP/cell", 5, true)
		e.addFlow(
			app.Step{ID: "wait", Type: app.StepWait, Description: "greeting", Timeout: ptr(2.0), NextStep: "menu"},
			app.Step{ID: "menu", Type: app.StepListen, Description: "main menu", Timeout: ptr(20.0), NextStep: "press3"},
			app.Step{ID: "press3", Type: app.StepDTMF, Description: "account services", DTMF: "3", NextStep: "hold"},
			app.Step{ID: "hold", Type: app.StepHold, Description: "wait for agent", NextStep: "transfer"},
			app.Step{ID: "transfer", Type: app.StepTransfer},
		)
		c, s := e.place(app.CallRequest{Number: company, Mode: app.ModeHoldSlayer, Intent: "dispute a charge"})
		if got := e.get(c.ID).CallFlowID; got != "acme_support" {
			t.Fatalf("flow = %q, want the stored flow found by number", got)
		}
		co := e.channel(s, companyEP)
		s.FarRing(co)
		e.settle()
		e.wantStatus(c.ID, app.StatusRinging)
		e.sleep(3 * time.Second)
		s.FarAnswer(co)
		e.settle()
		e.wantStatus(c.ID, app.StatusNavigating)
		if b, ok := s.bridgeWith(co); !ok || b.kind != app.BridgeMixing {
			t.Fatalf("company not in a mixing bridge: %+v", b)
		}
		e.sleep(2 * time.Second) // WAIT step
		if len(s.dtmfSent()) != 0 {
			t.Fatal("dtmf sent before the menu was heard")
		}
		for range 50 {
			s.Hear(app.AudioSpeech, "", 0.9) // the menu prompt
		}
		e.settle()
		s.Hear(app.AudioSilence, "", 0.9) // prompt over
		e.settle()
		if got := s.dtmfSent(); !slices.Equal(got, []string{"3"}) {
			t.Fatalf("dtmf = %v, want [3]", got)
		}
		e.sleep(2 * time.Second)
		s.Hear(app.AudioMusic, app.DetectHold, 0.92)
		e.settle()
		e.wantStatus(c.ID, app.StatusOnHold)
		e.sleep(10 * time.Minute)
		if h := e.get(c.ID).HoldSeconds; h < 599 || h > 601 {
			t.Fatalf("hold seconds = %.1f, want about 600", h)
		}
		if got := len(e.find(c.ID, app.EventAudioClassified)); got != 2 { // speech, then music (the silence in between lasted under a second)
			t.Fatalf("audio_classified events = %d, want one per change", got)
		}
		e.person(s, 0.88)
		e.wantStatus(c.ID, app.StatusTransferring)
		dk := e.channel(s, "PJSIP/desk")
		if _, ok := s.channelTo("PJSIP/cell"); ok {
			t.Fatal("the lower-priority device rang first")
		}
		e.sleep(4 * time.Second)
		s.FarAnswer(dk)
		e.settle()
		got := e.wantStatus(c.ID, app.StatusTransferred)
		if got.Device != desk.ID {
			t.Fatalf("device = %q, want %q", got.Device, desk.ID)
		}
		b, _ := s.bridgeWith(dk)
		if !slices.Contains(b.members, co) || !slices.Contains(b.members, dk) {
			t.Fatalf("call bridge members = %v, want company and desk", b.members)
		}
		if n, closed := s.sourcesClosed(); n != 1 || closed != 1 {
			t.Fatalf("listening not stopped after transfer: %d sources, %d closed", n, closed)
		}
		tc := e.wantEvent(c.ID, app.EventTransferComplete)
		if tc.Data["device"] != "desk" || tc.Data["bridge_id"] == "" {
			t.Fatalf("transfer_complete data = %v", tc.Data)
		}
		e.sleep(5 * time.Minute)
		s.FarHangup(co, 16, "normal")
		e.settle()
		final := e.wantStatus(c.ID, app.StatusEnded)
		if final.EndReason != app.ReasonRemoteHangup || final.HoldSeconds < 600 || final.HoldSeconds > 620 {
			t.Fatalf("final call = reason %q hold %.1f", final.EndReason, final.HoldSeconds)
		}
		e.wantReleased(s)

		want := []string{
			"call_started", "status_changed", "call_ringing", "status_changed", "call_connected",
			"status_changed", "ivr_step", "ivr_step", "ivr_step", "ivr_dtmf_sent", "ivr_step",
			"status_changed", "hold_detected", "status_changed", "human_detected", "status_changed",
			"transfer_started", "transfer_complete", "status_changed", "status_changed", "call_ended",
		}
		if got := e.types(c.ID); !slices.Equal(got, want) {
			t.Fatalf("events:\n got %v\nwant %v", got, want)
		}
		hd := e.wantEvent(c.ID, app.EventHoldDetected)
		if hd.Data["audio_type"] != "music" || hd.Data["confidence"] != 0.92 {
			t.Fatalf("hold_detected data = %v", hd.Data)
		}
		ce := e.wantEvent(c.ID, app.EventCallEnded)
		if ce.Data["reason"] != app.ReasonRemoteHangup || ce.Data["number"] != company {
			t.Fatalf("call_ended data = %v", ce.Data)
		}
		// The store has the whole history, in order.
		stored, err := e.st.ListEvents(t.Context(), c.ID, nil, 0, 0)
		if err != nil || len(stored) < len(want) {
			t.Fatalf("stored events = %d, %v", len(stored), err)
		}
		if err := e.eng.Hangup(t.Context(), c.ID); !errors.Is(err, app.ErrConflict) {
			t.Fatalf("hangup after end = %v, want conflict", err)
		}
	})
}
