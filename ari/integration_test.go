package ari

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
	"github.com/holdslayer/holdslayer/ari/aritest"
)

const testCompany = "+18005550001"

// startSim runs a simulated Asterisk with one answering company, a busy one and two devices,
// and an adapter connected to it; both are closed at cleanup.
func startSim(t *testing.T) (*aritest.Server, *Adapter, clock.Clock) {
	t.Helper()
	clk := clock.NewScaled(4)
	retries := 5
	srv, err := aritest.New(aritest.Options{
		Clock: clk,
		Scenarios: map[string]*aritest.Scenario{
			testCompany: {Name: "Test Co", AnswerAfter: aritest.Duration(time.Second), Steps: []aritest.Step{
				{ID: "menu", Menu: &aritest.Menu{
					Prompt:  []aritest.Audio{{Sound: "hello-world"}, {Tone: "440"}},
					Options: map[string]string{"1": "bye"}, Timeout: aritest.Duration(20 * time.Second), Retries: &retries,
				}},
				{ID: "bye", Pause: aritest.Duration(time.Minute)},
			}},
			"+18005550017": {Name: "Busy Co", Result: "busy", AnswerAfter: aritest.Duration(time.Second)},
		},
		Devices: map[string]aritest.DeviceBehavior{
			"robert": {Rings: 0},
			"gone":   {Mode: aritest.DeviceOffline},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := New(ctx, Options{URL: srv.URL(), User: "holdslayer", Password: "holdslayer", App: "holdslayer",
		Clock: clk, Log: slog.New(slog.DiscardHandler), RequestTimeout: 2 * time.Second, MaxBackoff: 400 * time.Millisecond})
	if err != nil {
		_ = srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = a.Close()
		_ = srv.Close()
	})
	waitFor(t, "adapter ready", a.Ready)
	return srv, a, clk
}

// leakCheck verifies, after every other cleanup, that the test left no goroutines behind.
func leakCheck(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// next waits for the session's next event of kind for channel id (any channel if id is "").
func next(t *testing.T, s app.Session, kind app.PBXEventKind, id string) app.PBXEvent {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				t.Fatalf("events closed while waiting for kind %d", kind)
			}
			if ev.Kind == kind && (id == "" || ev.ChannelID == id) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no event of kind %d for %q", kind, id)
		}
	}
}

func rms(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	if len(s) == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(len(s)))
}

func TestIntegrationCallListenSpeakHangup(t *testing.T) {
	leakCheck(t)
	srv, a, _ := startSim(t)
	ctx := context.Background()
	sess, err := a.Open(ctx, "call-it-1")
	if err != nil {
		t.Fatal(err)
	}
	company, err := sess.Originate(ctx, "PJSIP/"+testCompany+"@trunk", app.OriginateOptions{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	next(t, sess, app.PBXRinging, company)
	next(t, sess, app.PBXAnswered, company)
	if err := sess.Answer(ctx, company); err != nil {
		t.Fatal(err)
	}
	callBridge, err := sess.CreateBridge(ctx, app.BridgeMixing)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.AddToBridge(ctx, callBridge, company); err != nil {
		t.Fatal(err)
	}

	// Listen: the company's prompt arrives as frames with energy, paced by the clock.
	src, err := sess.Listen(ctx, company)
	if err != nil {
		t.Fatal(err)
	}
	if src.SampleRate() != 16000 {
		t.Errorf("sample rate %d", src.SampleRate())
	}
	var loud, frames int
	deadline := time.After(8 * time.Second)
	for loud < 25 {
		select {
		case f := <-src.Frames():
			frames++
			if len(f.Samples) != 320 {
				t.Fatalf("frame of %d samples", len(f.Samples))
			}
			if !f.Filled && rms(f.Samples) > 300 {
				loud++
			}
		case <-deadline:
			t.Fatalf("only %d loud frames of %d", loud, frames)
		}
	}

	if err := sess.SendDTMF(ctx, company, "1"); err != nil {
		t.Fatal(err)
	}

	// Speaker: a device alone in a bridge with the say channel hears what we play.
	dev, err := sess.Originate(ctx, "PJSIP/robert", app.OriginateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next(t, sess, app.PBXAnswered, dev)
	if err := sess.Answer(ctx, dev); err != nil {
		t.Fatal(err)
	}
	devBridge, err := sess.CreateBridge(ctx, app.BridgeMixing)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.AddToBridge(ctx, devBridge, dev); err != nil {
		t.Fatal(err)
	}
	sink, err := sess.Speaker(ctx, devBridge)
	if err != nil {
		t.Fatal(err)
	}
	tone := make([]int16, 16000/2)
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/16000))
	}
	before := len(srv.DeviceHeard("robert"))
	if err := sink.Play(ctx, tone, 16000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "device hears the tone", func() bool {
		heard := srv.DeviceHeard("robert")
		return len(heard) > before && rms(heard[before:]) > 1000
	})

	// The company hangs up: one PBXHangup, normal clearing.
	if err := srv.HangupFarEnd(company); err != nil {
		t.Fatal(err)
	}
	ev := next(t, sess, app.PBXHangup, company)
	if ev.Cause != 16 || ev.Reason != ReasonNormal {
		t.Errorf("far-end hangup %+v", ev)
	}

	if err := sess.Close(context.Background()); err != nil {
		t.Errorf("close: %v", err)
	}
	for range sess.Events() { // closed after Close
	}
	for range src.Frames() {
	}
	if err := sess.Close(context.Background()); err != nil {
		t.Errorf("second close: %v", err)
	}
	waitFor(t, "no live channels or bridges", func() bool { c, b := srv.Live(); return c == 0 && b == 0 })
}

func TestIntegrationBusyAndEndpoints(t *testing.T) {
	leakCheck(t)
	srv, a, _ := startSim(t)
	ctx := context.Background()
	sess, err := a.Open(ctx, "call-busy")
	if err != nil {
		t.Fatal(err)
	}
	id, err := sess.Originate(ctx, "PJSIP/+18005550017@trunk", app.OriginateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev := next(t, sess, app.PBXHangup, id)
	if ev.Cause != 17 || ev.Reason != ReasonBusy {
		t.Errorf("busy company: %+v", ev)
	}
	for ep, want := range map[string]bool{"PJSIP/robert": true, "PJSIP/gone": false, "PJSIP/nobody": false, "Local/s@user-phone": true} {
		got, err := a.EndpointOnline(ctx, ep)
		if err != nil || got != want {
			t.Errorf("EndpointOnline(%s) = %v, %v; want %v", ep, got, err, want)
		}
	}
	// A cancelled context still tears down.
	cctx, cancel := context.WithCancel(ctx)
	if _, err := sess.CreateBridge(cctx, app.BridgeHolding); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := sess.Close(cctx); err != nil {
		t.Errorf("close with cancelled ctx: %v", err)
	}
	waitFor(t, "no live channels or bridges", func() bool { c, b := srv.Live(); return c == 0 && b == 0 })
}

func TestIntegrationRecording(t *testing.T) {
	leakCheck(t)
	srv, a, clk := startSim(t)
	ctx := context.Background()
	sess, _ := a.Open(ctx, "call-rec")
	defer sess.Close(ctx)
	company, err := sess.Originate(ctx, "PJSIP/"+testCompany+"@trunk", app.OriginateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next(t, sess, app.PBXAnswered, company)
	br, _ := sess.CreateBridge(ctx, app.BridgeMixing)
	if err := sess.AddToBridge(ctx, br, company); err != nil {
		t.Fatal(err)
	}
	if err := sess.StartRecording(ctx, app.RecordTarget{BridgeID: br}, "rec-it-1"); err != nil {
		t.Fatal(err)
	}
	_ = clock.Sleep(ctx, clk, 2*time.Second)
	if err := sess.StopRecording(ctx, "rec-it-1"); err != nil {
		t.Fatal(err)
	}
	ev := next(t, sess, app.PBXRecordingFinished, "")
	if ev.Name != "rec-it-1" {
		t.Errorf("finished %+v", ev)
	}
	var buf bytes.Buffer
	n, err := sess.FetchRecording(ctx, "rec-it-1", &buf)
	if err != nil || n < 44 || !bytes.HasPrefix(buf.Bytes(), []byte("RIFF")) {
		t.Errorf("fetch: %d bytes, %v", n, err)
	}
	if _, err := sess.FetchRecording(ctx, "no-such", &buf); err == nil {
		t.Error("fetching a missing recording succeeded")
	}
	if err := sess.Close(ctx); err != nil {
		t.Error(err)
	}
	waitFor(t, "no live channels or bridges", func() bool { c, b := srv.Live(); return c == 0 && b == 0 })
}

func TestIntegrationAsteriskRestart(t *testing.T) {
	leakCheck(t)
	srv, a, _ := startSim(t)
	ctx := context.Background()
	sess, _ := a.Open(ctx, "call-restart")
	company, err := sess.Originate(ctx, "PJSIP/"+testCompany+"@trunk", app.OriginateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next(t, sess, app.PBXAnswered, company)
	if _, err := sess.Listen(ctx, company); err != nil {
		t.Fatal(err)
	}
	srv.Restart(300 * time.Millisecond)
	ev := next(t, sess, app.PBXHangup, company)
	if ev.Reason != ReasonAsteriskRestart {
		t.Errorf("hangup on restart: %+v", ev)
	}
	next(t, sess, app.PBXDisconnected, "")
	waitFor(t, "not ready", func() bool { return !a.Ready() })
	next(t, sess, app.PBXReconnected, "")
	if !a.Ready() {
		t.Error("reconnected but not ready")
	}
	// The session still works after the restart.
	if _, err := sess.CreateBridge(ctx, app.BridgeMixing); err != nil {
		t.Fatal(err)
	}
	if err := sess.Close(ctx); err != nil {
		t.Error(err)
	}
	waitFor(t, "no live channels or bridges", func() bool { c, b := srv.Live(); return c == 0 && b == 0 })
}

// TestIntegrationListenWaitsForStasis: a real Asterisk can refuse to bridge a snoop or
// externalMedia channel (422 "Channel not in Stasis application") until it has processed the
// channel's StasisStart; Listen and Speaker retry the add instead of failing the call.
func TestIntegrationListenWaitsForStasis(t *testing.T) {
	leakCheck(t)
	srv, a, _ := startSim(t)
	ctx := context.Background()
	sess, err := a.Open(ctx, "call-it-stasis")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close(ctx)
	company, err := sess.Originate(ctx, "PJSIP/"+testCompany+"@trunk", app.OriginateOptions{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	next(t, sess, app.PBXAnswered, company)
	callBridge, err := sess.CreateBridge(ctx, app.BridgeMixing)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.AddToBridge(ctx, callBridge, company); err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(aritest.Faults{AddBeforeStasis: 2})
	src, err := sess.Listen(ctx, company)
	if err != nil {
		t.Fatalf("listen after two 422s: %v", err)
	}
	deadline := time.After(8 * time.Second)
	for loud := 0; loud < 10; {
		select {
		case f := <-src.Frames():
			if !f.Filled && rms(f.Samples) > 300 {
				loud++
			}
		case <-deadline:
			t.Fatal("no audio from the company after the retried bridge adds")
		}
	}
	srv.SetFaults(aritest.Faults{AddBeforeStasis: 1})
	if _, err := sess.Speaker(ctx, callBridge); err != nil {
		t.Fatalf("speaker after a 422: %v", err)
	}
}

// TestIntegrationCancelledCreateLeavesNothing: a bridge creation whose caller gives up while a
// slow Asterisk is still making it (the service stopping during a call's set-up) must not
// leave the bridge behind, and Close must not race it either.
func TestIntegrationCancelledCreateLeavesNothing(t *testing.T) {
	leakCheck(t)
	srv, a, _ := startSim(t)
	arrived := make(chan struct{}, 1)
	srv.SetFaults(aritest.Faults{SlowBridgeCreate: 300 * time.Millisecond, BridgeCreating: arrived})

	// The caller's context ends halfway through the creation.
	sess, err := a.Open(context.Background(), "call-cancel-create")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := sess.CreateBridge(ctx, app.BridgeMixing); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("create bridge with its context ended: %v, want the deadline error", err)
	}
	if _, bridges := srv.Live(); bridges != 0 {
		t.Errorf("%d bridges left after a cancelled create", bridges)
	}
	_ = sess.Close(context.Background())
	<-arrived // that creation's arrival

	// Close while a creation is in flight in another goroutine.
	sess2, err := a.Open(context.Background(), "call-close-during-create")
	if err != nil {
		t.Fatal(err)
	}
	created := make(chan error, 1)
	go func() {
		_, err := sess2.CreateBridge(context.Background(), app.BridgeMixing)
		created <- err
	}()
	<-arrived // the request is at the server, admitted before Close
	_ = sess2.Close(context.Background())
	if err := <-created; err != nil {
		t.Fatalf("create admitted before Close: %v", err)
	}
	if _, bridges := srv.Live(); bridges != 0 {
		t.Errorf("%d bridges left after Close raced a create", bridges)
	}
	if _, err := sess2.CreateBridge(context.Background(), app.BridgeMixing); !errors.Is(err, app.ErrConflict) {
		t.Errorf("create after Close: %v, want a conflict", err)
	}
}
