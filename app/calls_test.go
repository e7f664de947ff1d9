package app_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// onHold places a hold_slayer call without a flow, answers it and puts it on hold.
func (e *env) onHold(req app.CallRequest) (app.Call, *fakeSession, string) {
	e.t.Helper()
	if req.Number == "" {
		req.Number = company
	}
	req.Mode = app.ModeHoldSlayer
	c, s := e.place(req)
	co := e.channel(s, companyEP)
	s.FarAnswer(co)
	e.settle()
	e.wantStatus(c.ID, app.StatusConnected)
	s.Hear(app.AudioMusic, app.DetectHold, 0.9)
	e.settle()
	e.wantStatus(c.ID, app.StatusOnHold)
	return c, s, co
}

func TestDeviceNoAnswerFallsToNextThenKeepsAgent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		defer e.close()
		e.addDevice("tablet", "PJSIP/tablet", 20, false) // offline: never rung
		e.addDevice("desk", "PJSIP/desk", 10, true)
		e.addDevice("cell", "PJSIP/cell", 5, true)
		c, s, co := e.onHold(app.CallRequest{})
		e.sleep(time.Minute)
		e.person(s, 0.8)
		dk := e.channel(s, "PJSIP/desk")
		e.sleep(20 * time.Second) // desk's ring timeout
		if ch, _ := s.channelTo("PJSIP/desk"); !ch.gone || ch.hangupReason != "normal" {
			t.Fatalf("unanswered desk not hung up: %+v", ch)
		}
		cell := e.channel(s, "PJSIP/cell")
		s.FarHangup(cell, 17, "busy")
		e.settle()
		e.wantStatus(c.ID, app.StatusHumanDetected)
		if _, ok := s.channelTo("PJSIP/tablet"); ok {
			t.Fatal("offline device was rung")
		}
		tf := e.wantEvent(c.ID, app.EventTransferFailed)
		if tried, _ := tf.Data["devices_tried"].([]string); !slices.Equal(tried, []string{"desk", "cell"}) || tf.Data["agent_kept"] != true {
			t.Fatalf("transfer_failed data = %v", tf.Data)
		}
		if n := len(e.find(c.ID, app.EventTransferStarted)); n != 2 {
			t.Fatalf("transfer_started events = %d, want 2", n)
		}
		if ch, _ := s.channelTo(companyEP); ch.gone {
			t.Fatal("agent was hung up; it must be kept")
		}
		if _, ok := s.bridgeWith(dk); ok {
			t.Fatal("unanswered desk is still bridged")
		}
		// A retry by command rings the named device.
		if err := e.eng.Transfer(t.Context(), c.ID, "cell"); err != nil {
			t.Fatalf("transfer command: %v", err)
		}
		e.settle()
		if n := len(s.channelsTo("PJSIP/cell")); n != 2 {
			t.Fatalf("cell rung %d times, want 2", n)
		}
		if err := e.eng.Transfer(t.Context(), c.ID, ""); !errors.Is(err, app.ErrConflict) {
			t.Fatalf("second transfer while ringing = %v, want conflict", err)
		}
		if err := e.eng.Hangup(t.Context(), c.ID); err != nil {
			t.Fatalf("hangup: %v", err)
		}
		got := e.wantStatus(c.ID, app.StatusEnded)
		if got.EndReason != app.ReasonUserHangup {
			t.Fatalf("reason = %q", got.EndReason)
		}
		if err := e.eng.Hangup(t.Context(), c.ID); !errors.Is(err, app.ErrConflict) || err.Error() != "call already ended: "+c.ID+": conflict" {
			t.Fatalf("second hangup = %v, want conflict", err)
		}
		if err := e.eng.Hangup(t.Context(), "call_nope"); !errors.Is(err, app.ErrNotFound) {
			t.Fatalf("unknown hangup = %v, want not found", err)
		}
		e.settle()
		e.wantReleased(s)
		_ = co
	})
}

func TestFarEndHangupDuringHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		defer e.close()
		c, s, co := e.onHold(app.CallRequest{})
		e.sleep(42 * time.Minute)
		s.FarHangup(co, 16, "normal")
		e.settle()
		got := e.wantStatus(c.ID, app.StatusEnded)
		if got.EndReason != app.ReasonRemoteHangup || got.HoldSeconds < 42*60 || got.HoldSeconds > 42*60+1 {
			t.Fatalf("ended: reason %q hold %.1f", got.EndReason, got.HoldSeconds)
		}
		stored, err := e.st.GetCall(t.Context(), c.ID)
		if err != nil || stored.Status != app.StatusEnded || stored.EndReason != app.ReasonRemoteHangup {
			t.Fatalf("stored = %+v, %v", stored, err)
		}
		if len(e.eng.Active(t.Context())) != 0 {
			t.Fatal("ended call still active")
		}
		e.wantReleased(s)
	})
}

func TestAsteriskRestartEndsCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		defer e.close()
		c, s, co := e.onHold(app.CallRequest{})
		s.send(app.PBXEvent{Kind: app.PBXDisconnected})
		e.sleep(2 * time.Second)
		e.wantStatus(c.ID, app.StatusOnHold)
		s.send(app.PBXEvent{Kind: app.PBXHangup, ChannelID: co, Reason: app.ReasonAsteriskRestart})
		s.send(app.PBXEvent{Kind: app.PBXReconnected})
		e.settle()
		got := e.wantStatus(c.ID, app.StatusEnded)
		if got.EndReason != app.ReasonAsteriskRestart {
			t.Fatalf("reason = %q", got.EndReason)
		}
		e.wantEvent(c.ID, app.EventPBXDisconnected)
		if ce := e.wantEvent(c.ID, app.EventCallEnded); ce.Data["reason"] != app.ReasonAsteriskRestart {
			t.Fatalf("call_ended = %v", ce.Data)
		}
		e.wantReleased(s)
	})
}

func TestPlaceRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, func(c *app.EngineConfig) {
			c.Limits.MaxConcurrentCalls = 1
			c.Policy.Denied = []string{`^\+1555`}
		})
		defer e.close()
		cases := []struct {
			name   string
			req    app.CallRequest
			want   error
			detail string
		}{
			{"premium 900", app.CallRequest{Number: "+19005551234"}, app.ErrForbidden, "premium-rate number refused: +19005551234 starts with +1900: forbidden"},
			{"premium 976", app.CallRequest{Number: "+19765551234"}, app.ErrForbidden, ""},
			{"international", app.CallRequest{Number: "+442071234567"}, app.ErrForbidden, "international number refused: +442071234567 is outside country code +1 and international dialling is off: forbidden"},
			{"denied pattern", app.CallRequest{Number: "+15551234567"}, app.ErrForbidden, ""},
			{"not e164", app.CallRequest{Number: "18005551234"}, app.ErrInvalid, ""},
			{"letters", app.CallRequest{Number: "+1800FLOWERS"}, app.ErrInvalid, ""},
			{"bad mode", app.CallRequest{Number: company, Mode: "loud"}, app.ErrInvalid, ""},
			{"unknown flow", app.CallRequest{Number: company, CallFlowID: "nope"}, app.ErrNotFound, "call flow not found: nope: not found"},
			{"unknown device", app.CallRequest{Number: company, Device: "nope"}, app.ErrNotFound, "device not found: nope: not found"},
			{"direct without devices", app.CallRequest{Number: company, Mode: app.ModeDirect}, app.ErrUnavailable, ""},
		}
		for _, tc := range cases {
			_, err := e.eng.Place(t.Context(), tc.req)
			if !errors.Is(err, tc.want) || (tc.detail != "" && err.Error() != tc.detail) {
				t.Errorf("%s: err = %v, want %v %q", tc.name, err, tc.want, tc.detail)
			}
		}
		e.pbx.setReady(false)
		if _, err := e.eng.Place(t.Context(), app.CallRequest{Number: company}); !errors.Is(err, app.ErrUnavailable) || err.Error() != "no telephony backend connected: unavailable" {
			t.Errorf("pbx down: %v", err)
		}
		if e.eng.Ready() {
			t.Error("ready while the pbx is down")
		}
		e.pbx.setReady(true)
		c, _ := e.place(app.CallRequest{Number: company})
		if _, err := e.eng.Place(t.Context(), app.CallRequest{Number: "+18005550000"}); !errors.Is(err, app.ErrUnavailable) {
			t.Errorf("over the concurrency limit: %v", err)
		}
		if err := e.eng.Hangup(t.Context(), c.ID); err != nil {
			t.Fatal(err)
		}
		e.settle()
		if _, err := e.eng.Place(t.Context(), app.CallRequest{Number: "+18005550000"}); err != nil {
			t.Errorf("slot not freed after hangup: %v", err)
		}
		e.settle()
	})
}

func TestInternationalAllowedByPolicy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, func(c *app.EngineConfig) {
			c.Policy = app.DialPolicy{HomeCountryCode: "44", AllowInternational: false}
		})
		defer e.close()
		if _, err := e.eng.Place(t.Context(), app.CallRequest{Number: "+18005551234"}); !errors.Is(err, app.ErrForbidden) {
			t.Fatalf("+1 from a UK home = %v, want forbidden", err)
		}
		c, s := e.place(app.CallRequest{Number: "+442071234567"})
		if _, ok := s.channelTo("PJSIP/+442071234567@trunk"); !ok {
			t.Fatal("domestic UK number not dialled through the template")
		}
		_ = c
	})
}

func TestLimits(t *testing.T) {
	t.Run("ring timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, nil)
			defer e.close()
			c, s := e.place(app.CallRequest{Number: company})
			co := e.channel(s, companyEP)
			s.FarRing(co)
			e.sleep(29 * time.Second)
			e.wantStatus(c.ID, app.StatusRinging)
			e.sleep(time.Second)
			got := e.wantStatus(c.ID, app.StatusFailed)
			if got.EndReason != app.ReasonNoAnswer {
				t.Fatalf("reason = %q", got.EndReason)
			}
			if ch, _ := s.channelTo(companyEP); ch.hangupReason == "" {
				t.Fatal("ringing company leg not hung up")
			}
			if f := e.wantEvent(c.ID, app.EventCallFailed); f.Data["number"] != company || f.Data["error"] == "" {
				t.Fatalf("call_failed = %v", f.Data)
			}
			e.wantReleased(s)
		})
	})
	t.Run("busy", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, nil)
			defer e.close()
			c, s := e.place(app.CallRequest{Number: company})
			s.FarHangup(e.channel(s, companyEP), 17, "busy")
			e.settle()
			if got := e.wantStatus(c.ID, app.StatusFailed); got.EndReason != app.ReasonBusy {
				t.Fatalf("reason = %q", got.EndReason)
			}
			e.wantReleased(s)
		})
	})
	t.Run("max hold", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, nil)
			defer e.close()
			c, s, _ := e.onHold(app.CallRequest{})
			e.sleep(2*time.Hour - time.Second)
			e.wantStatus(c.ID, app.StatusOnHold)
			e.sleep(time.Second)
			if got := e.wantStatus(c.ID, app.StatusEnded); got.EndReason != app.ReasonMaxHold {
				t.Fatalf("reason = %q", got.EndReason)
			}
			e.wantReleased(s)
		})
	})
	t.Run("max call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, func(c *app.EngineConfig) { c.Limits.MaxCallDuration = 30 * time.Minute })
			defer e.close()
			c, s := e.place(app.CallRequest{Number: company})
			s.FarAnswer(e.channel(s, companyEP))
			e.sleep(30 * time.Minute)
			if got := e.wantStatus(c.ID, app.StatusEnded); got.EndReason != app.ReasonMaxCall {
				t.Fatalf("reason = %q", got.EndReason)
			}
			e.wantReleased(s)
		})
	})
}

func TestDialplanEntry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		defer e.close()
		e.addDevice("desk", "PJSIP/desk", 10, true)
		flow := e.addFlow(app.Step{ID: "hold", Type: app.StepHold})
		e.pbx.inbound <- app.InboundCall{ChannelID: "user-1", Args: []string{"dial", company, flow.ID}, CallerID: "robert"}
		e.settle()
		active := e.eng.Active(t.Context())
		if len(active) != 1 || active[0].CallFlowID != flow.ID {
			t.Fatalf("active = %+v", active)
		}
		c := active[0]
		s := e.pbx.session(c.ID)
		hb, ok := s.bridgeWith("user-1")
		if !ok || hb.kind != app.BridgeHolding || !hb.moh {
			t.Fatalf("caller not waiting with music: %+v", hb)
		}
		co := e.channel(s, companyEP)
		s.FarAnswer(co)
		e.settle()
		s.Hear(app.AudioMusic, app.DetectHold, 0.9)
		e.sleep(30 * time.Minute)
		e.person(s, 0.9)
		e.wantStatus(c.ID, app.StatusTransferred)
		b, _ := s.bridgeWith("user-1")
		if b.kind != app.BridgeMixing || !slices.Contains(b.members, co) {
			t.Fatalf("caller not joined to the agent: %+v", b)
		}
		if _, ok := s.channelTo("PJSIP/desk"); ok {
			t.Fatal("a device rang although the caller was waiting")
		}
		s.FarHangup("user-1", 16, "normal")
		e.settle()
		if got := e.wantStatus(c.ID, app.StatusEnded); got.EndReason != app.ReasonCallerHangup {
			t.Fatalf("reason = %q", got.EndReason)
		}
		e.wantReleased(s)

		// A refused entry is hung up, not left in silence.
		e.pbx.inbound <- app.InboundCall{ChannelID: "user-2", Args: []string{"dial", "+19005550000"}}
		e.settle()
		rs := e.pbx.session("refused-user-2")
		if rs == nil {
			t.Fatal("refused channel never adopted")
		}
		if ch, _ := rs.channelTo("inbound"); ch.hangupReason == "" {
			t.Fatalf("refused caller not hung up: %+v", ch)
		}
		e.wantReleased(rs)
	})
}

func TestDirectAndAIAssisted(t *testing.T) {
	t.Run("direct", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, nil)
			defer e.close()
			e.addDevice("desk", "PJSIP/desk", 10, true)
			e.pbx.auto["PJSIP/desk"] = autoAnswer{ringAfter: time.Second, answerAfter: 3 * time.Second}
			c, s := e.place(app.CallRequest{Number: company, Mode: app.ModeDirect})
			co, dk := e.channel(s, companyEP), e.channel(s, "PJSIP/desk")
			e.sleep(3 * time.Second) // the desk answers by itself
			s.FarAnswer(co)
			e.settle()
			e.wantStatus(c.ID, app.StatusConnected)
			b, _ := s.bridgeWith(co)
			if !slices.Contains(b.members, dk) {
				t.Fatalf("company and device not bridged: %v", b.members)
			}
			if n, _ := s.sourcesClosed(); n != 0 {
				t.Fatal("direct call listens")
			}
			s.FarHangup(dk, 16, "normal")
			e.settle()
			if got := e.wantStatus(c.ID, app.StatusEnded); got.EndReason != app.ReasonDeviceHangup {
				t.Fatalf("reason = %q", got.EndReason)
			}
			e.wantReleased(s)
		})
	})
	t.Run("ai_assisted records", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, nil)
			defer e.close()
			e.addDevice("desk", "PJSIP/desk", 10, true)
			c, s := e.place(app.CallRequest{Number: company, Mode: app.ModeAIAssisted})
			co, dk := e.channel(s, companyEP), e.channel(s, "PJSIP/desk")
			s.FarAnswer(co)
			s.FarAnswer(dk)
			e.settle()
			s.Hear(app.AudioSpeech, "", 0.9)
			e.sleep(90 * time.Second)
			if err := e.eng.Hangup(t.Context(), c.ID); err != nil {
				t.Fatal(err)
			}
			e.settle()
			recs, err := e.st.ListRecordings(t.Context(), c.ID)
			if err != nil || len(recs) != 2 {
				t.Fatalf("recordings = %+v, %v", recs, err)
			}
			for _, r := range recs {
				fi, err := os.Stat(r.Path)
				if err != nil || fi.Size() != r.FileSize || r.Duration != 90 {
					t.Fatalf("recording %+v: file %v %v", r, fi, err)
				}
			}
			if n := len(e.find(c.ID, app.EventRecordingStarted)); n != 2 {
				t.Fatalf("recording_started = %d", n)
			}
			for _, ev := range e.find(c.ID, app.EventRecordingStopped) {
				if ev.Data["file_size"] != int64(16044) || ev.Data["error"] != nil {
					t.Fatalf("recording_stopped = %v", ev.Data)
				}
			}
			if ac := e.wantEvent(c.ID, app.EventAudioClassified); ac.Data["audio_type"] != "speech" {
				t.Fatalf("audio_classified = %v", ac.Data)
			}
			e.wantReleased(s)
		})
	})
}

func TestCommandsAndValidation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		defer e.close()
		c, s := e.place(app.CallRequest{Number: company})
		if err := e.eng.SendDTMF(t.Context(), c.ID, "12X"); !errors.Is(err, app.ErrInvalid) {
			t.Fatalf("bad digits = %v", err)
		}
		if err := e.eng.SendDTMF(t.Context(), c.ID, "1"); !errors.Is(err, app.ErrConflict) {
			t.Fatalf("dtmf before answer = %v", err)
		}
		if err := e.eng.Transfer(t.Context(), c.ID, ""); !errors.Is(err, app.ErrConflict) {
			t.Fatalf("transfer before answer = %v", err)
		}
		if err := e.eng.Transfer(t.Context(), c.ID, "ghost"); !errors.Is(err, app.ErrNotFound) {
			t.Fatalf("transfer to unknown device = %v", err)
		}
		if err := e.eng.SendDTMF(t.Context(), "call_nope", "1"); !errors.Is(err, app.ErrNotFound) {
			t.Fatalf("unknown call = %v", err)
		}
		s.FarAnswer(e.channel(s, companyEP))
		e.settle()
		if err := e.eng.SendDTMF(t.Context(), c.ID, "12#*AD"); err != nil {
			t.Fatal(err)
		}
		e.settle()
		if got := s.dtmfSent(); !slices.Equal(got, []string{"12#*AD"}) {
			t.Fatalf("dtmf = %v", got)
		}
		if ev := e.wantEvent(c.ID, app.EventIVRDTMFSent); ev.Data["digits"] != "12#*AD" {
			t.Fatalf("ivr_dtmf_sent = %v", ev.Data)
		}
		if err := e.eng.Transfer(t.Context(), c.ID, ""); !errors.Is(err, app.ErrUnavailable) {
			t.Fatalf("transfer with no device = %v", err)
		}
		e.settle()
		e.wantStatus(c.ID, app.StatusConnected)
	})
}

// vetoJudge refuses the first candidate and accepts the next with a transcript.
type vetoJudge struct{ n int }

func (j *vetoJudge) Judge(ctx context.Context, c app.HumanCandidate) (app.HumanVerdict, error) {
	j.n++
	if j.n == 1 {
		return app.HumanVerdict{Human: false, Reason: "known hold announcement"}, nil
	}
	select { // a judge that takes a while, e.g. asking "are you a representative?"
	case <-time.After(3 * time.Second):
	case <-ctx.Done():
		return app.HumanVerdict{}, ctx.Err()
	}
	return app.HumanVerdict{Human: true, Confidence: 0.97, TranscriptExcerpt: "this is Sarah, how can I help"}, nil
}

func TestHumanJudgeSeam(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &vetoJudge{}
		e := newEnv(t, func(c *app.EngineConfig) { c.Judge = j })
		defer e.close()
		e.addDevice("desk", "PJSIP/desk", 10, true)
		c, s, _ := e.onHold(app.CallRequest{})
		s.Hear(app.AudioSpeech, app.DetectHuman, 0.7)
		e.settle()
		e.wantStatus(c.ID, app.StatusOnHold)
		if w := e.wantEvent(c.ID, app.EventHumanWithdrawn); w.Data["reason"] != "known hold announcement" {
			t.Fatalf("human_withdrawn = %v", w.Data)
		}
		// Second candidate: hold comes back while the judge is still deciding.
		s.Hear(app.AudioSpeech, app.DetectHuman, 0.8)
		e.sleep(time.Second)
		s.Hear(app.AudioMusic, app.DetectHoldResumed, 0.9)
		e.sleep(5 * time.Second)
		e.wantStatus(c.ID, app.StatusOnHold)
		if _, ok := s.channelTo("PJSIP/desk"); ok {
			t.Fatal("device rang for a withdrawn candidate")
		}
		// Third: accepted after the judge's check.
		s.Hear(app.AudioSpeech, app.DetectHuman, 0.8)
		e.sleep(3 * time.Second)
		e.wantStatus(c.ID, app.StatusTransferring)
		hd := e.wantEvent(c.ID, app.EventHumanDetected)
		if hd.Data["transcript_excerpt"] != "this is Sarah, how can I help" || hd.Data["confidence"] != 0.97 {
			t.Fatalf("human_detected = %v", hd.Data)
		}
		// The music returns before the user picks up: stop ringing, back on hold.
		s.Hear(app.AudioMusic, app.DetectHoldResumed, 0.9)
		e.settle()
		e.wantStatus(c.ID, app.StatusOnHold)
		if ch, _ := s.channelTo("PJSIP/desk"); !ch.gone {
			t.Fatal("device still ringing after hold resumed")
		}
	})
}

func TestShutdownEndsLiveCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		defer e.close()
		c, s, _ := e.onHold(app.CallRequest{})
		if err := e.eng.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.settle()
		got, err := e.st.GetCall(t.Context(), c.ID)
		if err != nil || got.Status != app.StatusEnded || got.EndReason != app.ReasonShutdown || got.EndedAt == nil {
			t.Fatalf("stored after shutdown = %+v, %v", got, err)
		}
		e.wantReleased(s)
		if _, err := e.eng.Place(t.Context(), app.CallRequest{Number: company}); !errors.Is(err, app.ErrUnavailable) {
			t.Fatalf("place after shutdown = %v", err)
		}
	})
}

// TestAudioClassifiedOnChangeOnly: a long hold with a label that flickers reports each lasting
// change once, never the same label twice in a row, never twice within a second, and the
// last event carries the label the call ends up with.
func TestAudioClassifiedOnChangeOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		defer e.close()
		c, s, _ := e.onHold(app.CallRequest{})
		hear := func(label string, d time.Duration) {
			for range int(d / (20 * time.Millisecond)) {
				s.Hear(label, "", 0.9)
				e.sleep(20 * time.Millisecond)
			}
		}
		hear(app.AudioMusic, 30*time.Second)
		for range 10 { // the smoothed label wavers quickly for a while
			hear(app.AudioSpeech, 200*time.Millisecond)
			hear(app.AudioMusic, 300*time.Millisecond)
		}
		hear(app.AudioMusic, 2*time.Second)
		hear(app.AudioSilence, 1500*time.Millisecond) // a lasting change during the rate limit's wait
		hear(app.AudioSpeech, 300*time.Millisecond)   // a short one, then the final label
		hear(app.AudioMusic, 5*time.Second)
		evs := e.find(c.ID, app.EventAudioClassified)
		var got []string
		for i, ev := range evs {
			got = append(got, ev.Data["audio_type"].(string))
			if i > 0 {
				if got[i] == got[i-1] {
					t.Errorf("event %d repeats %q", i, got[i])
				}
				if gap := ev.Timestamp.Sub(evs[i-1].Timestamp); gap < time.Second {
					t.Errorf("event %d only %v after the previous one", i, gap)
				}
			}
		}
		if len(got) == 0 || got[0] != app.AudioMusic || got[len(got)-1] != app.AudioMusic || !slices.Contains(got, app.AudioSilence) {
			t.Fatalf("labels reported: %v", got)
		}
		if len(got) > 10 { // at most one a second while the label wavered
			t.Fatalf("%d audio_classified events for %v", len(got), got)
		}
		t.Logf("labels reported: %v", got)
	})
}
