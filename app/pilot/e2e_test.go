package pilot_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
	"github.com/holdslayer/holdslayer/app/navigator"
	"github.com/holdslayer/holdslayer/app/pilot"
	"github.com/holdslayer/holdslayer/app/speech"
	"github.com/holdslayer/holdslayer/app/speech/oaitest"
	"github.com/holdslayer/holdslayer/app/store"
	"github.com/holdslayer/holdslayer/ari"
	"github.com/holdslayer/holdslayer/ari/aritest"
	"github.com/holdslayer/holdslayer/classifier"
)

// speed is how much faster than real time the tests' clock runs.
const speed = 4

// world is one end-to-end set-up: the simulated Asterisk with its companies and the
// closed-vocabulary transcription endpoint, the real ARI adapter, a real SQLite store and the
// engine with the real STT client, espeak-ng and the pilot.
type world struct {
	t     *testing.T
	clk   clock.Clock
	srv   *aritest.Server
	store *store.Store
	eng   *app.Engine
	bus   *app.Bus
}

type worldOpts struct {
	scenarios map[string]*aritest.Scenario
	llm       *oaitest.Server
	noLive    bool
	stt       string // base URL; empty = the simulator's endpoint
}

var soundsDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "pilot-sounds-")
	if err != nil {
		panic(err)
	}
	soundsDir = d
	code := m.Run()
	_ = os.RemoveAll(d)
	if code == 0 {
		// The tests run in parallel, so leaks are checked once all of them have cleaned up.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines leaked:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// worlds bounds how many worlds run at once: each runs several goroutines ticking every 5 ms
// of wall time (20 ms of clock time at 4x), and more than a few of them on a 2-core machine
// under -race starve each other until the audio they carry is ragged.
var worlds = make(chan struct{}, 3)

func newWorld(t *testing.T, o worldOpts) *world {
	t.Helper()
	worlds <- struct{}{}
	t.Cleanup(func() { <-worlds })
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() && os.Getenv("PILOT_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	clk := clock.NewScaled(speed)
	srv, err := aritest.New(aritest.Options{Clock: clk, Scenarios: o.scenarios, SoundsDir: filepath.Join(soundsDir, t.Name()), Log: log,
		Devices: map[string]aritest.DeviceBehavior{"robert": {Rings: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ad, err := ari.New(ctx, ari.Options{URL: srv.URL(), User: "holdslayer", Password: "holdslayer", App: "holdslayer",
		Clock: clk, Log: log, RequestTimeout: 3 * time.Second, MaxBackoff: 400 * time.Millisecond})
	if err != nil {
		_ = srv.Close()
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hs.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	sttURL := o.stt
	if sttURL == "" {
		sttURL = srv.STTBaseURL()
	}
	stt, err := speech.NewOpenAISTT(speech.STTConfig{BaseURL: sttURL, APIKey: "sim", Timeout: 3 * time.Second, Retries: 1,
		Backoff: 20 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	pc := pilot.Config{Settle: 1500 * time.Millisecond}
	if o.llm != nil {
		llm, err := navigator.NewLLMNavigator(navigator.LLMConfig{BaseURL: o.llm.BaseURL(), APIKey: "test", Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		pc.LLM = llm
	}
	bus := app.NewBus(st, log)
	eng := app.NewEngine(app.EngineConfig{
		PBX: ad, Store: st, Bus: bus, Clock: clk, Log: log,
		Analyzer:  app.NewClassifierAnalyzer(classifier.Config{}),
		STT:       stt,
		TTS:       speech.NewEspeak(speech.EspeakConfig{}),
		Navigator: pilot.New(pc),
		// The tests' agent answers the live check; a generous wait absorbs scheduling.
		DisableLiveCheck: o.noLive,
		AgentGreeting:    "Thank you, please stay on the line while I connect the customer.",
	})
	if err := st.CreateDevice(ctx, &app.Device{Name: "Robert's desk phone", Type: "sip_phone", SIPURI: "sip:robert@pbx.local",
		Endpoint: "PJSIP/robert", Priority: 10}); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, clk: clk, srv: srv, store: st, eng: eng, bus: bus}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer scancel()
		if err := eng.Shutdown(sctx); err != nil {
			t.Error(err)
		}
		_ = ad.Close()
		_ = srv.Close()
		_ = st.Close()
	})
	deadline := time.Now().Add(10 * time.Second)
	for !ad.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("adapter not ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return w
}

// run places a hold_slayer call and collects its events until it is transferred (or ends,
// or the wall-clock limit passes); it hangs up and returns the events.
func (w *world) run(req app.CallRequest, until app.EventType, limit time.Duration) (app.Call, []app.Event) {
	w.t.Helper()
	sub := w.bus.Subscribe(app.EventFilter{}, 4096)
	defer sub.Close()
	ctx := context.Background()
	req.Mode = app.ModeHoldSlayer
	c, err := w.eng.Place(ctx, req)
	if err != nil {
		w.t.Fatal(err)
	}
	var evs []app.Event
	timeout := time.After(limit)
loop:
	for {
		select {
		case ev := <-sub.C():
			if ev.CallID != c.ID {
				continue
			}
			evs = append(evs, ev)
			if ev.Type == until || ev.Type == app.EventCallEnded || ev.Type == app.EventCallFailed {
				break loop
			}
		case <-timeout:
			if until == "" {
				break loop
			}
			w.t.Errorf("call %s: no %s within %s; events:\n%s", c.ID, until, limit, dump(evs))
			break loop
		}
	}
	snap, _ := w.eng.Get(ctx, c.ID)
	if err := w.eng.Hangup(ctx, c.ID); err != nil && !strings.Contains(err.Error(), "already ended") {
		w.t.Error(err)
	}
	return snap, evs
}

func dump(evs []app.Event) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Type == app.EventAudioClassified || e.Type == app.EventStatusChanged {
			continue
		}
		fmt.Fprintf(&b, "  %s %s %v\n", e.Timestamp.Format("15:04:05.000"), e.Type, e.Data)
	}
	return b.String()
}

// index is the position of the first event of type t whose data matches (nil: any), or -1.
func index(evs []app.Event, t app.EventType, match func(map[string]any) bool) int {
	for i, e := range evs {
		if e.Type == t && (match == nil || match(e.Data)) {
			return i
		}
	}
	return -1
}

func count(evs []app.Event, t app.EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == t {
			n++
		}
	}
	return n
}

func said(text string) func(map[string]any) bool {
	return func(d map[string]any) bool { s, _ := d["text"].(string); return strings.Contains(s, text) }
}

func dtmf(digits string) func(map[string]any) bool {
	return func(d map[string]any) bool { return d["digits"] == digits }
}

func say(text string) []aritest.Audio { return []aritest.Audio{{Say: text}} }

func dur(d time.Duration) aritest.Duration { return aritest.Duration(d) }

func intp(n int) *int { return &n }

// bank is a DTMF menu behind a greeting, a short hold with announcements, and an agent who
// answers the live check.
func bank(menuText string, options map[string]string) *aritest.Scenario {
	return &aritest.Scenario{
		Name: "Acme Bank", AnswerAfter: dur(2 * time.Second),
		Steps: []aritest.Step{
			{ID: "greet", Play: say("Thank you for calling Acme Bank.")},
			// The wait for an answer is in clock time, which runs 4x: 10 s here is 2.5 s of
			// wall time for transcribing the prompt, deciding, rendering the answer with
			// espeak-ng and sending it, which a loaded CI machine under -race needs.
			{ID: "menu", Menu: &aritest.Menu{Prompt: say(menuText), Options: options,
				Timeout: dur(10 * time.Second), Retries: intp(2)}},
			{ID: "wrong", Play: say("Balances are available in our mobile app. Goodbye."), Goto: "hangup"},
			// One announcement, well apart from the agent's pick-up.
			{ID: "hold", Hold: &aritest.Hold{Duration: dur(25 * time.Second), Music: "macroform-cold_day",
				Announce: say("Your call is important to us. Please stay on the line."), AnnounceEvery: dur(14 * time.Second)}},
			{ID: "agent", Agent: &aritest.Agent{Greeting: "Hi, this is Sarah in customer support, how can I help you today?",
				Replies:  []string{"Yes, I am a real person. How can I help?", "Sure, I will wait."},
				Patience: dur(30 * time.Second)}},
		},
	}
}

const bankMenu = "For balances, press 1. For lost cards, press 2. To speak with a representative, press 0."

// TestMatcherGetsThroughUnseenMenu: no stored flow; the matcher reads the menu from the
// transcripts alone, presses 0, the call holds, the agent is confirmed by the live check,
// greeted, and only then the device rings. The path is learned as a flow.
func TestMatcherGetsThroughUnseenMenu(t *testing.T) {
	t.Parallel()
	const num = "+18005550101"
	w := newWorld(t, worldOpts{scenarios: map[string]*aritest.Scenario{num: bank(bankMenu, map[string]string{"1": "wrong", "2": "wrong", "0": "hold"})}})
	snap, evs := w.run(app.CallRequest{Number: num, Intent: "speak to a representative"}, app.EventTransferComplete, 40*time.Second)
	t.Logf("events:\n%s", dump(evs))

	menu := index(evs, app.EventIVRMenuDetected, nil)
	press := index(evs, app.EventIVRDTMFSent, dtmf("0"))
	hold := index(evs, app.EventHoldDetected, nil)
	human := index(evs, app.EventHumanDetected, nil)
	ask := index(evs, app.EventTranscriptChunk, said("live person"))
	greet := index(evs, app.EventTranscriptChunk, said("connect the customer"))
	ring := index(evs, app.EventTransferStarted, nil)
	done := index(evs, app.EventTransferComplete, nil)
	if !(menu >= 0 && menu < press && press < hold && hold < ask && ask < human && human < greet && greet < ring && ring < done) {
		t.Fatalf("order: menu %d, dtmf 0 %d, hold %d, live check %d, human %d, greeting %d, transfer %d/%d", menu, press, hold, ask, human, greet, ring, done)
	}
	if index(evs, app.EventNavigatorDecision, func(d map[string]any) bool { return d["source"] == "matcher" && d["key"] == "0" }) < 0 {
		t.Error("no matcher decision for key 0")
	}
	if index(evs, app.EventTranscriptChunk, func(d map[string]any) bool {
		return d["speaker"] == "company" && strings.Contains(d["text"].(string), "representative, press 0")
	}) < 0 {
		t.Error("the menu was not transcribed as company speech")
	}
	hd := evs[human].Data
	if hd["device_id"] == "" || hd["device"] != "Robert's desk phone" {
		t.Errorf("human_detected device fields: %v", hd)
	}
	if ex, _ := hd["transcript_excerpt"].(string); ex == "" {
		t.Errorf("human_detected excerpt %q", ex)
	}
	// The device was rung only once the greeting had been played.
	greetEnd := evs[greet].Timestamp.Add(2 * time.Second) // espeak says it in about 3 s
	if evs[ring].Timestamp.Before(greetEnd) {
		t.Errorf("device rung %s after the greeting started; the greeting lasts longer", evs[ring].Timestamp.Sub(evs[greet].Timestamp))
	}
	if snap.TranscriptExcerpt == "" {
		t.Error("no transcript excerpt on the call")
	}
	segs, err := w.store.ListTranscript(context.Background(), snap.ID)
	if err != nil || len(segs) < 3 {
		t.Fatalf("stored transcript: %d segments, %v", len(segs), err)
	}
	flows, err := w.store.ListFlows(context.Background(), app.FlowFilter{PhoneNumber: num})
	if err != nil || len(flows) != 1 {
		t.Fatalf("learned flows: %v %v", flows, err)
	}
	t.Logf("learned flow: %+v", flows[0].Steps)
	t.Logf("detection latency from the agent's onset: %v s", hd["latency_s"])

	// The next call to the number replays the learned flow.
	_, evs = w.run(app.CallRequest{Number: num, Intent: "speak to a representative"}, app.EventTransferComplete, 40*time.Second)
	t.Logf("replay events:\n%s", dump(evs))
	if index(evs, app.EventIVRStep, func(d map[string]any) bool { return d["step_id"] == "listen_1" }) < 0 ||
		index(evs, app.EventIVRDTMFSent, func(d map[string]any) bool { return d["step_id"] == "dtmf_1" && d["digits"] == "0" }) < 0 {
		t.Fatal("the learned flow was not replayed")
	}
	if index(evs, app.EventNavigatorDecision, nil) >= 0 || index(evs, app.EventTransferComplete, nil) < 0 {
		t.Fatal("the replay needed the matcher or did not get through")
	}
	f, err := w.store.GetFlow(context.Background(), flows[0].ID)
	if err != nil || f.SuccessCount != 2 || f.Stale || f.LastVerifiedAt == nil {
		t.Fatalf("flow after a verified replay: success %d stale %v verified %v err %v", f.SuccessCount, f.Stale, f.LastVerifiedAt, err)
	}
}

// TestChangedMenuMarksFlowStale: the stored flow expects the old menu and key 0; the company
// now offers other options. The replay notices, marks the flow stale, and the matcher
// presses the new key for a representative.
func TestChangedMenuMarksFlowStale(t *testing.T) {
	t.Parallel()
	const num = "+18005550102"
	w := newWorld(t, worldOpts{scenarios: map[string]*aritest.Scenario{num: bank(
		"For mortgages, press 3. For investments, press 4. To speak with a representative, press 5.",
		map[string]string{"3": "wrong", "4": "wrong", "5": "hold"})}})
	flow := &app.CallFlow{Name: "Acme old", Company: "Acme Bank", PhoneNumber: num, SuccessCount: 3, Steps: []app.Step{
		{ID: "listen", Type: app.StepListen, Expect: bankMenu, NextStep: "press"},
		{ID: "press", Type: app.StepDTMF, DTMF: "0", NextStep: "hold"},
		{ID: "hold", Type: app.StepHold, NextStep: "xfer"},
		{ID: "xfer", Type: app.StepTransfer},
	}}
	if err := w.store.CreateFlow(context.Background(), flow); err != nil {
		t.Fatal(err)
	}
	_, evs := w.run(app.CallRequest{Number: num, Intent: "speak to a representative"}, app.EventHoldDetected, 30*time.Second)
	t.Logf("events:\n%s", dump(evs))
	stale := index(evs, app.EventNavigatorDecision, func(d map[string]any) bool { return d["source"] == "replay" && d["decision"] == "fallback" })
	press := index(evs, app.EventIVRDTMFSent, dtmf("5"))
	// The old prompt shares many words with the new one, so the replay may press 0 before the
	// company's "invalid option" and repeated menu give the change away (menu_at_hold).
	if stale < 0 || press < stale {
		t.Fatalf("fallback %d, dtmf 5 %d", stale, press)
	}
	f, err := w.store.GetFlow(context.Background(), flow.ID)
	if err != nil || !f.Stale {
		t.Fatalf("flow not marked stale: %+v %v", f, err)
	}
}

// TestLLMGetsThroughOpenQuestion: a menu the matcher cannot parse; the LLM (the scripted
// OpenAI-compatible fake) answers with a send_dtmf tool call.
func TestLLMGetsThroughOpenQuestion(t *testing.T) {
	t.Parallel()
	const num = "+18005550103"
	llm := oaitest.New(t)
	llm.ScriptChat(oaitest.Reply{ToolCalls: []oaitest.ToolCall{{Name: "send_dtmf", Args: `{"digits":"7"}`}}})
	sc := bank("Our menu has changed. Members should know the secret code.", map[string]string{"7": "hold"})
	// No greeting: the first thing heard is the open question, after the second of quiet an IVR
	// leaves after answering. Our tap on the company leg (snoop and externalMedia) is set up
	// once the call is answered; on this clock, which runs 4x, that costs the first few hundred
	// milliseconds of the company's audio. A prompt begun at once lost its first syllables (the
	// simulated recogniser's cost 3.2-3.5 against its limit of 3.2 for a short clip; 1.3 after
	// the pause) and, in 3 of 18 runs, its transcript.
	sc.Steps[0] = aritest.Step{ID: "greet", Pause: dur(time.Second)}
	w := newWorld(t, worldOpts{scenarios: map[string]*aritest.Scenario{num: sc}, llm: llm})
	_, evs := w.run(app.CallRequest{Number: num, Intent: "report a lost card"}, app.EventHoldDetected, 30*time.Second)
	t.Logf("events:\n%s", dump(evs))
	dec := index(evs, app.EventNavigatorDecision, func(d map[string]any) bool {
		return d["source"] == "llm" && d["tool"] == "send_dtmf" && d["accepted"] == true
	})
	press := index(evs, app.EventIVRDTMFSent, dtmf("7"))
	if dec < 0 || press < dec || index(evs, app.EventHoldDetected, nil) < press {
		t.Fatalf("llm decision %d, dtmf 7 %d", dec, press)
	}
	reqs := llm.Requests()
	if len(reqs) == 0 || len(reqs[0].Tools) == 0 || !strings.Contains(fmt.Sprint(reqs[0].Messages), "menu has changed") {
		t.Fatalf("the model was not asked with tools and the transcript: %+v", reqs)
	}
}

// TestSaysRepresentativeAloud: an IVR that only reacts to the word; the matcher picks the
// spoken option and espeak-ng says it into the call through the say channel.
func TestSaysRepresentativeAloud(t *testing.T) {
	t.Parallel()
	const num = "+18005550104"
	sc := bank("Please say representative to speak with an agent.", nil)
	sc.Steps[1].Menu.Speech = map[string]string{"representative": "hold"}
	w := newWorld(t, worldOpts{scenarios: map[string]*aritest.Scenario{num: sc}})
	_, evs := w.run(app.CallRequest{Number: num, Intent: "speak to a representative"}, app.EventHoldDetected, 30*time.Second)
	t.Logf("events:\n%s", dump(evs))
	dec := index(evs, app.EventNavigatorDecision, func(d map[string]any) bool { return d["source"] == "matcher" && d["say"] == "representative" })
	spoke := index(evs, app.EventTranscriptChunk, func(d map[string]any) bool { return d["speaker"] == "holdslayer" && d["text"] == "representative" })
	hold := index(evs, app.EventHoldDetected, nil)
	if dec < 0 || spoke < dec || hold < spoke {
		t.Fatalf("decision %d, spoken %d, hold %d", dec, spoke, hold)
	}
}

// TestAnnouncementsNeverTransfer: a long hold with announcements in the music; whatever
// the acoustic layer thinks of them, no transfer starts and no human is reported.
func TestAnnouncementsNeverTransfer(t *testing.T) {
	t.Parallel()
	const num = "+18005550105"
	sc := &aritest.Scenario{Name: "Queue Co", AnswerAfter: dur(time.Second), Steps: []aritest.Step{
		{ID: "hold", Hold: &aritest.Hold{Duration: dur(100 * time.Second), Music: "macroform-cold_day",
			Announce: say("All of our representatives are busy. Your estimated wait time is 12 minutes."), AnnounceEvery: dur(12 * time.Second)}},
		{ID: "agent", Agent: &aritest.Agent{Greeting: "Hi, this is Sam, how may I help you?"}},
	}}
	w := newWorld(t, worldOpts{scenarios: map[string]*aritest.Scenario{num: sc}})
	snap, evs := w.run(app.CallRequest{Number: num}, "", 11*time.Second)
	t.Logf("events:\n%s", dump(evs))
	if index(evs, app.EventHoldDetected, nil) < 0 {
		t.Fatal("no hold detected")
	}
	if n := count(evs, app.EventHumanDetected) + count(evs, app.EventTransferStarted); n != 0 {
		t.Fatalf("an announcement led to %d human/transfer events", n)
	}
	// Not asserted yet: announcements cut out of continuous music are not reliably
	// transcribed by the simulator's recogniser, so the wait estimate may not appear here.
	t.Logf("estimated wait: %v, announcement transcripts: %d", snap.EstimatedWaitSeconds, count(evs, app.EventTranscriptChunk))
}

// TestRejectedChoiceEscalates: a spoken menu that does not understand "billing" (the choice
// for the intent) says so and asks again; the navigator does not repeat itself but says the
// fallback, "representative", which the company accepts.
func TestRejectedChoiceEscalates(t *testing.T) {
	t.Parallel()
	const num = "+18005550106"
	sc := bank("Welcome to Globex. In a few words, tell me why you are calling. For example, say billing, or say representative.", nil)
	sc.Steps = sc.Steps[1:] // no greeting
	sc.Steps[0].Menu.Speech = map[string]string{"representative": "hold"}
	sc.Steps[0].Menu.Invalid = say("Sorry, I didn't understand.")
	w := newWorld(t, worldOpts{scenarios: map[string]*aritest.Scenario{num: sc}})
	_, evs := w.run(app.CallRequest{Number: num, Intent: "question about my bill"}, app.EventHoldDetected, 45*time.Second)
	t.Logf("events:\n%s", dump(evs))
	first := index(evs, app.EventNavigatorDecision, func(d map[string]any) bool { return d["say"] == "billing" })
	saidBilling := index(evs, app.EventTranscriptChunk, func(d map[string]any) bool { return d["speaker"] == "holdslayer" && d["text"] == "billing" })
	second := index(evs, app.EventNavigatorDecision, func(d map[string]any) bool {
		return d["say"] == "representative" && d["escalated"] == true && strings.Contains(d["reason"].(string), `"billing"`)
	})
	saidRep := index(evs, app.EventTranscriptChunk, func(d map[string]any) bool { return d["speaker"] == "holdslayer" && d["text"] == "representative" })
	hold := index(evs, app.EventHoldDetected, nil)
	if !(first >= 0 && first < saidBilling && saidBilling < second && second < saidRep && saidRep < hold) {
		t.Fatalf("billing decision %d, said %d; escalation %d, said %d; hold %d", first, saidBilling, second, saidRep, hold)
	}
	n := 0
	for _, e := range evs {
		if e.Type == app.EventTranscriptChunk && e.Data["speaker"] == "holdslayer" && e.Data["text"] == "billing" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("billing said %d times", n)
	}
}
