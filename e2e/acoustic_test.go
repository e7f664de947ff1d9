package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/ari/aritest"
)

// numAfterMusic: the music stops for a recorded announcement, comes back, then an agent.
const numAfterMusic = "+18005550104"

// Clock times of the numAfterMusic company, from the start of its hold.
const (
	afterMusicHold  = 20 * time.Second // music before the announcement
	afterMusicAgain = 15 * time.Second // music after it
)

func afterMusicCompany() *aritest.Scenario {
	retries := 3
	return &aritest.Scenario{
		Name: "After Music Utilities", AnswerAfter: aritest.Duration(2 * time.Second),
		Steps: []aritest.Step{
			{ID: "menu", Menu: &aritest.Menu{
				Prompt:  say("Thank you for calling After Music Utilities. To speak with a representative, press 0."),
				Options: map[string]string{"0": "hold"}, Timeout: aritest.Duration(8 * time.Second), Retries: &retries,
			}},
			{ID: "hold", Hold: &aritest.Hold{Duration: aritest.Duration(afterMusicHold), Music: "macroform-cold_day"}},
			{ID: "announce", Play: say("Thank you for waiting. All of our agents are still helping other customers. " +
				"Your call will be answered in the order it was received.")},
			{ID: "again", Hold: &aritest.Hold{Duration: aritest.Duration(afterMusicAgain), Music: "macroform-cold_day"}},
			{ID: "agent", Agent: &aritest.Agent{Greeting: "Hi, this is Sarah in customer support. How can I help you today?",
				Replies: []string{"Yes, I am a real person."}, Patience: aritest.Duration(60 * time.Second)}},
		},
	}
}

// TestNoSTTRecordingAfterMusic: a real Asterisk with no speech-to-text. The hold music
// stops for a recorded announcement (the classifier's usual false candidate), returns, and
// then an agent answers. The engine confirms without transcripts (the live check judged from
// the audio) and the phone rings only for the agent.
func TestNoSTTRecordingAfterMusic(t *testing.T) {
	e := newEnv(t, envOptions{noSTT: true, scenarios: map[string]*aritest.Scenario{numAfterMusic: afterMusicCompany()}})
	c := e.client
	c.device(t, "Robert", "PJSIP/"+phoneRobert, 10)
	flow := c.menuFlow(t, numAfterMusic)
	ws := c.events(t, "")
	id := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": numAfterMusic, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	hold := ws.wait(t, id, "hold_detected", waitLong)
	started := ws.wait(t, id, "transfer_started", waitLong*2)
	human := ws.wait(t, id, "human_detected", waitShort)
	ws.wait(t, id, "transfer_complete", waitLong)

	// The person confirmed is the agent: their voice began after the announcement and the
	// second stretch of music (hold_detected comes a few seconds into the first).
	latency, _ := human.Data["latency_s"].(float64)
	onset := clockBetween(t, hold, human) - time.Duration(latency*float64(time.Second))
	if min := afterMusicHold + afterMusicAgain - 8*time.Second; onset < min {
		t.Errorf("confirmed voice started %s after hold_detected, before the agent could have (after %s): a false transfer", onset, min)
	}
	if clockBetween(t, human, started) < 0 {
		t.Errorf("transfer_started before human_detected")
	}
	j, _ := human.Data["judgement"].(map[string]any)
	if j["reason"] != "answered_live_check" {
		t.Errorf("human_detected judgement %v, want the acoustic live check", human.Data["judgement"])
	}
	n := 0
	for _, ev := range ws.of(id) {
		switch ev.Type {
		case "transfer_started":
			n++
		case "human_withdrawn":
			t.Logf("withdrawn (the announcement): %v", ev.Data)
		case "transcript_chunk":
			if ev.Data["speaker"] != "holdslayer" {
				t.Errorf("transcript without STT: %v", ev.Data)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d transfer_started events, want 1 (the agent): %s", n, types(ws.of(id)))
	}
	t.Logf("without STT: human confirmed %.1f s (clock) after the agent's voice started", latency)
	c.json(t, http.MethodPost, "/api/calls/"+id+"/hangup", nil, http.StatusOK)
	ws.wait(t, id, "call_ended", waitShort)
}
