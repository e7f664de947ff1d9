package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// fakeTTS "says" every phrase as d of silence at 8 kHz.
type fakeTTS struct{ d time.Duration }

func (f fakeTTS) Synthesize(context.Context, string) ([]int16, int, error) {
	return make([]int16, int(f.d/time.Millisecond)*8), 8000, nil
}

// acousticEnv is an engine with a voice but no transcripts: a real Asterisk without STT.
func acousticEnv(t *testing.T) *env {
	e := newEnv(t, func(c *app.EngineConfig) { c.TTS = fakeTTS{d: 1200 * time.Millisecond} })
	e.pbx.speaker = true
	return e
}

// untilPhrase plays label until the say channel has played n phrases (at most 10 s).
func (e *env) untilPhrase(s *fakeSession, label string, n int) {
	e.t.Helper()
	for i := 0; len(s.phrases()) < n; i++ {
		if i > 500 {
			e.t.Fatalf("phrase %d never played; events %v", n, e.types(s.callID))
		}
		s.Hear(label, "", 0.9)
		e.sleep(20 * time.Millisecond)
	}
}

func withdrawnFor(e *env, id string) []string {
	var out []string
	for _, ev := range e.find(id, app.EventHumanWithdrawn) {
		out = append(out, fmt.Sprint(ev.Data["reason"]))
	}
	return out
}

// TestAcousticLiveCheckPerson: without transcripts a person is confirmed by how they answer
// the question: quiet while it is asked, voice 0.5 s after it ends. The agent is then greeted,
// and only then does the device ring.
func TestAcousticLiveCheckPerson(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := acousticEnv(t)
		defer e.close()
		e.addDevice("desk", "PJSIP/desk", 10, true)
		c, s, co := e.onHold(app.CallRequest{})
		e.sleep(time.Minute)
		e.hearFor(s, app.AudioSpeech, app.DetectHuman, 0.8, 2*time.Second) // "Hi, this is Sarah..."
		e.untilPhrase(s, app.AudioSilence, 1)                              // waits, then hears the question
		asked := s.phrases()[0]
		if asked.start.Before(time.Now().Add(-2 * time.Second)) {
			t.Fatalf("question asked at %v, before the person paused", asked.start)
		}
		e.wantStatus(c.ID, app.StatusOnHold) // nobody rings before the answer
		e.hearFor(s, app.AudioSilence, "", 0.9, 500*time.Millisecond)
		e.hearFor(s, app.AudioSpeech, "", 0.9, 600*time.Millisecond) // "Yes, I am."
		hd := e.wantEvent(c.ID, app.EventHumanDetected)
		j, _ := hd.Data["judgement"].(map[string]any)
		if j["reason"] != "answered_live_check" {
			t.Fatalf("human_detected judgement = %v", hd.Data["judgement"])
		}
		// The agent is greeted first; nobody rings until the greeting has been said.
		e.wantStatus(c.ID, app.StatusHumanDetected)
		if _, rung := s.channelTo("PJSIP/desk"); rung {
			t.Fatal("the desk rang while the agent greeting was being said")
		}
		e.untilPhrase(s, app.AudioSilence, 2)
		e.wantStatus(c.ID, app.StatusTransferring)
		dk := e.channel(s, "PJSIP/desk")
		s.FarAnswer(dk)
		e.settle()
		e.wantStatus(c.ID, app.StatusTransferred)
		if b, _ := s.bridgeWith(dk); !slices.Contains(b.members, co) {
			t.Fatalf("device not joined to the agent: %+v", b)
		}
		if len(s.phrases()) != 2 {
			t.Fatalf("phrases played = %d, want the question and the greeting", len(s.phrases()))
		}
		if w := withdrawnFor(e, c.ID); len(w) != 0 {
			t.Fatalf("withdrawn: %v", w)
		}
	})
}

// TestAcousticLiveCheckRejectsRecordings: a recording talks over the question, or does not
// answer it, or the music comes back; each is withdrawn with its reason and nothing rings.
func TestAcousticLiveCheckRejectsRecordings(t *testing.T) {
	cases := []struct {
		name   string
		after  func(e *env, s *fakeSession) // once the candidate paused
		reason string
	}{
		{"talks over the question", func(e *env, s *fakeSession) {
			e.hearFor(s, app.AudioSpeech, "", 0.9, 3*time.Second)
		}, "talked_over_live_check"},
		{"no answer", func(e *env, s *fakeSession) {
			e.hearFor(s, app.AudioSilence, "", 0.9, 7*time.Second)
		}, "no_reply"},
		{"answers too late", func(e *env, s *fakeSession) {
			e.untilPhrase(s, app.AudioSilence, 1)
			e.hearFor(s, app.AudioSilence, "", 0.9, 3500*time.Millisecond)
			e.hearFor(s, app.AudioSpeech, "", 0.9, 2*time.Second)
		}, "no_reply"},
		{"music returns", func(e *env, s *fakeSession) {
			e.hearFor(s, app.AudioMusic, "", 0.9, 2*time.Second)
		}, "hold music returned"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := acousticEnv(t)
				defer e.close()
				e.addDevice("desk", "PJSIP/desk", 10, true)
				c, s, _ := e.onHold(app.CallRequest{})
				e.hearFor(s, app.AudioSpeech, app.DetectHuman, 0.8, 2*time.Second)
				e.hearFor(s, app.AudioSilence, "", 0.9, 600*time.Millisecond) // a sentence break
				tc.after(e, s)
				e.hearFor(s, app.AudioSilence, "", 0.9, 4*time.Second)
				if w := withdrawnFor(e, c.ID); !slices.Equal(w, []string{tc.reason}) {
					t.Fatalf("withdrawn %v, want [%s]; events %v", w, tc.reason, e.types(c.ID))
				}
				if len(e.find(c.ID, app.EventHumanDetected)) != 0 || len(e.find(c.ID, app.EventTransferStarted)) != 0 {
					t.Fatalf("a recording was taken for a person: %v", e.types(c.ID))
				}
				e.wantStatus(c.ID, app.StatusOnHold)
			})
		})
	}
}

// TestAcousticObserveWithoutVoice: with neither transcripts nor a voice, a person who speaks
// and then waits is confirmed; an announcement the hold played before (same envelope) is not,
// and neither is speech the music follows.
func TestAcousticObserveWithoutVoice(t *testing.T) {
	t.Run("repeated announcement", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, nil)
			defer e.close()
			e.addDevice("desk", "PJSIP/desk", 10, true)
			c, s, _ := e.onHold(app.CallRequest{})
			from := s.frame()
			e.hearFor(s, app.AudioSpeech, "", 0.9, 2500*time.Millisecond) // the announcement, first time
			e.hearFor(s, app.AudioSilence, "", 0.9, 500*time.Millisecond)
			e.hearFor(s, app.AudioMusic, app.DetectHoldResumed, 0.9, 10*time.Second)
			s.rewind(from)
			e.hearFor(s, app.AudioSpeech, app.DetectHuman, 0.8, 2500*time.Millisecond) // again
			e.hearFor(s, app.AudioSilence, "", 0.9, 5*time.Second)
			if w := withdrawnFor(e, c.ID); !slices.Equal(w, []string{"repeated_recording"}) {
				t.Fatalf("withdrawn %v, want [repeated_recording]; events %v", w, e.types(c.ID))
			}
			e.wantStatus(c.ID, app.StatusOnHold)
		})
	})
	t.Run("music follows", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, nil)
			defer e.close()
			e.addDevice("desk", "PJSIP/desk", 10, true)
			c, s, _ := e.onHold(app.CallRequest{})
			e.hearFor(s, app.AudioSpeech, app.DetectHuman, 0.8, 2500*time.Millisecond)
			e.hearFor(s, app.AudioSilence, "", 0.9, time.Second)
			e.hearFor(s, app.AudioMusic, "", 0.9, 3*time.Second)
			if w := withdrawnFor(e, c.ID); !slices.Equal(w, []string{"hold music returned"}) {
				t.Fatalf("withdrawn %v; events %v", w, e.types(c.ID))
			}
			e.wantStatus(c.ID, app.StatusOnHold)
		})
	})
	t.Run("person", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, nil)
			defer e.close()
			e.addDevice("desk", "PJSIP/desk", 10, true)
			c, s, _ := e.onHold(app.CallRequest{})
			e.hearFor(s, app.AudioSpeech, "", 0.9, 2500*time.Millisecond) // an announcement earlier
			e.hearFor(s, app.AudioMusic, app.DetectHoldResumed, 0.9, 10*time.Second)
			e.person(s, 0.8)
			hd := e.wantEvent(c.ID, app.EventHumanDetected)
			if j, _ := hd.Data["judgement"].(map[string]any); j["reason"] != "spoke_then_waited" {
				t.Fatalf("judgement = %v", hd.Data["judgement"])
			}
			e.wantStatus(c.ID, app.StatusTransferring)
		})
	})
}

// TestAcousticRecheck: a person withdrawn by the acoustic check (they talked over the
// question) is checked again on their next words, since the classifier will not raise them
// again this hold.
func TestAcousticRecheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := acousticEnv(t)
		defer e.close()
		e.addDevice("desk", "PJSIP/desk", 10, true)
		c, s, _ := e.onHold(app.CallRequest{})
		e.hearFor(s, app.AudioSpeech, app.DetectHuman, 0.8, 2*time.Second)
		e.hearFor(s, app.AudioSilence, "", 0.9, 600*time.Millisecond)
		e.hearFor(s, app.AudioSpeech, "", 0.9, 2500*time.Millisecond) // talks over the question
		e.hearFor(s, app.AudioSilence, "", 0.9, 3*time.Second)
		if w := withdrawnFor(e, c.ID); !slices.Equal(w, []string{"talked_over_live_check"}) {
			t.Fatalf("withdrawn %v; events %v", w, e.types(c.ID))
		}
		e.hearFor(s, app.AudioSpeech, "", 0.9, 1500*time.Millisecond) // "Hello? Are you there?"
		e.untilPhrase(s, app.AudioSilence, 2)
		e.hearFor(s, app.AudioSilence, "", 0.9, 500*time.Millisecond)
		e.hearFor(s, app.AudioSpeech, "", 0.9, 600*time.Millisecond)
		e.wantEvent(c.ID, app.EventHumanDetected)
		e.untilPhrase(s, app.AudioSilence, 3) // the agent greeting
		e.wantStatus(c.ID, app.StatusTransferring)
	})
}

// TestShutdownDuringSetUp: a shutdown that cuts the listening set-up short ends the call as
// ended/shutdown, not as a listening failure.
func TestShutdownDuringSetUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		defer e.close()
		c, s := e.place(app.CallRequest{Number: company, Mode: app.ModeHoldSlayer})
		s.mu.Lock()
		s.listenHook = func(ctx context.Context) error {
			<-ctx.Done()
			return fmt.Errorf("snoop: %w", ctx.Err())
		}
		s.mu.Unlock()
		s.FarAnswer(e.channel(s, companyEP))
		e.settle()
		if err := e.eng.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.settle()
		got, err := e.st.GetCall(t.Context(), c.ID)
		if err != nil || got.Status != app.StatusEnded || got.EndReason != app.ReasonShutdown {
			t.Fatalf("stored after shutdown during set-up = %s/%s, %v", got.Status, got.EndReason, err)
		}
		if len(e.find(c.ID, app.EventCallFailed)) != 0 {
			t.Fatalf("call_failed emitted: %v", e.types(c.ID))
		}
	})
}
