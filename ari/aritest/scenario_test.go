package aritest

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"

	"github.com/holdslayer/holdslayer/app/clock"
)

// TestScenarioDTMFHoldAgent: menu waits for a key, 3 leads to a 60 s hold (run at 20x), then
// the agent greets and hangs up after its patience runs out; the company leg ends from the far
// end with cause 16, and the whole call took the scripted clock time.
func TestScenarioDTMFHoldAgent(t *testing.T) {
	clk := clock.NewScaled(20)
	sc := &Scenario{Steps: []Step{
		{ID: "menu", Menu: &Menu{Prompt: []Audio{{Tone: "440"}}, Options: map[string]string{"3": "hold"}, Timeout: Duration(5 * time.Second)}},
		{ID: "hold", Hold: &Hold{Duration: Duration(60 * time.Second), Announce: []Audio{{Tone: "600"}}, AnnounceEvery: Duration(20 * time.Second)}},
		{ID: "agent", Agent: &Agent{Greeting: "Hi, this is Sarah.", Patience: Duration(5 * time.Second)}},
	}}
	s := newSim(t, Options{Clock: clk, Scenarios: map[string]*Scenario{"+18005550100": sc}})
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	tg.do(t, "POST", "/channels", qv("endpoint", "Local/18005550100@from-internal", "app", "holdslayer", "channelId", "co", "otherChannelId", "co-L2"), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", "co"))
	t0 := clk.Now()
	tg.do(t, "POST", "/channels/co/dtmf", qv("dtmf", "3", "between", "100", "duration", "100"), "")
	d := ev.waitFor(t, 5*time.Second, "DTMF at far end", isEv("ChannelDtmfReceived", "co-L2"))
	if d["digit"] != "3" || d["duration_ms"] != float64(100) {
		t.Errorf("dtmf event = %v", d)
	}
	ev.waitFor(t, 10*time.Second, "far-end hangup", isEv("ChannelDestroyed", "co"))
	took := clk.Now().Sub(t0)
	if took < 60*time.Second || took > 90*time.Second {
		t.Errorf("call lasted %v of clock time, want hold 60s + greeting + patience", took)
	}
}

func TestScenarioBusyAndNoAnswer(t *testing.T) {
	busy, err := LoadScenario(filepath.Join("scenarios", "busy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := newSim(t, Options{Clock: fastClock(), Scenarios: map[string]*Scenario{"5550017": busy, "5550019": {Result: "no_answer"}}})
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	tg.do(t, "POST", "/channels", qv("endpoint", "PJSIP/5550017@trunk", "app", "holdslayer", "channelId", "b"), "")
	d := ev.waitFor(t, 5*time.Second, "busy destroyed", isEv("ChannelDestroyed", "b"))
	if d["cause"] != float64(17) {
		t.Errorf("busy cause = %v", d["cause"])
	}
	tg.do(t, "POST", "/channels", qv("endpoint", "PJSIP/5550019@trunk", "app", "holdslayer", "channelId", "n", "timeout", "20"), "")
	d = ev.waitFor(t, 5*time.Second, "no answer destroyed", isEv("ChannelDestroyed", "n"))
	if d["cause"] != float64(19) {
		t.Errorf("no-answer cause = %v", d["cause"])
	}
	for _, id := range []string{"b", "n"} {
		for _, typ := range ev.forChan(id) {
			if typ == "StasisStart" {
				t.Errorf("%s entered Stasis without an answer", id)
			}
		}
	}
}

func TestLoadScenarioFilesAndDemo(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("scenarios", "*.yaml"))
	if len(files) < 3 {
		t.Fatalf("scenario files: %v", files)
	}
	sc := map[string]*Scenario{}
	for i, f := range files {
		s, err := LoadScenario(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sc[string(rune('a'+i))] = s
	}
	for k, v := range DemoScenarios() {
		sc[k] = v
	}
	// New renders every `say` prompt with espeak-ng (cached) and loads sounds and music
	newSim(t, Options{Scenarios: sc})
	if _, err := LoadScenario(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file loaded")
	}
}

// TestRestart follows trace h: StasisEnd before the socket drops with 1006, REST refused, then
// 503 "Asterisk not booted", then 200 with no channels.
func TestRestart(t *testing.T) {
	s := newSim(t, contractOpts())
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	tg.do(t, "POST", "/channels", qv("endpoint", "Local/s@company-ivr", "app", "holdslayer", "channelId", "h"), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", "h"))
	s.Restart(300 * time.Millisecond)
	select {
	case err := <-ev.closed:
		if !isClose1006(err) {
			t.Errorf("socket closed with %v, want 1006", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("socket not dropped")
	}
	ev.waitFor(t, time.Second, "StasisEnd before drop", isEv("StasisEnd", "h"))
	// trace h's teardown of a Local pair, in order across both halves
	var got []string
	ev.mu.Lock()
	for _, m := range ev.got {
		if id := evChan(m); (id == "h" || id == "h;2") && m["type"] != "ChannelDialplan" {
			got = append(got, fmt.Sprintf("%s %s %v %v", id, m["type"], m["cause"], m["soft"]))
		}
	}
	ev.mu.Unlock()
	want := []string{
		"h;2 ChannelHangupRequest 4 true", "h ChannelHangupRequest 4 true",
		"h;2 ChannelHangupRequest 16 true", "h ChannelHangupRequest 0 <nil>",
		"h;2 ChannelDestroyed 0 <nil>", "h StasisEnd <nil> <nil>", "h ChannelVarset <nil> <nil>",
		"h ChannelDestroyed 16 <nil>",
	}
	if len(got) < len(want) || !reflect.DeepEqual(got[len(got)-len(want):], want) {
		t.Errorf("restart teardown =\n%s\nwant it to end with\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var seen503, refused bool
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		code := statusOrZero(tg.base + "/asterisk/info")
		switch code {
		case 0:
			refused = true
		case 503:
			seen503 = true
		case 200:
			if !refused || !seen503 {
				t.Errorf("back without refusal (%v) and 503 (%v)", refused, seen503)
			}
			if c, _ := s.Live(); c != 0 {
				t.Errorf("%d channels survived the restart", c)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("never came back")
}

// TestNativeClient drives the simulation with the CyCoreSystems ari/v5 native client.
func TestNativeClient(t *testing.T) {
	s := newSim(t, Options{Clock: fastClock(), Scenarios: map[string]*Scenario{"company-ivr": companyIVR()}, Devices: map[string]DeviceBehavior{"robert": {Rings: 1}}})
	cl, err := native.Connect(&native.Options{
		Application: "holdslayer", URL: s.URL(), WebsocketURL: "ws://" + s.Addr() + "/ari/events",
		WebsocketOrigin: "http://localhost/", Username: "holdslayer", Password: "holdslayer",
	})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	// cl.Close is not called: in ari/v5.3.1 Close and the client's listen goroutine write
	// Client.connected without synchronisation (a data race under -race). The server's Close
	// (test cleanup) ends the socket instead.
	_ = cl
	sub := cl.Bus().Subscribe(nil, ari.Events.StasisStart)
	defer sub.Cancel()
	h, err := cl.Channel().StageOriginate(ari.NewKey(ari.ChannelKey, "nat-co"), ari.OriginateRequest{Endpoint: "Local/s@company-ivr", App: "holdslayer", AppArgs: "company", ChannelID: "nat-co", Timeout: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Exec(); err != nil {
		t.Fatalf("originate: %v", err)
	}
	waitStart := func(id string) {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case e := <-sub.Events():
				if st, ok := e.(*ari.StasisStart); ok && st.Channel.ID == id {
					return
				}
			case <-timeout:
				t.Fatalf("no StasisStart for %s", id)
			}
		}
	}
	waitStart("nat-co")
	if err := h.Answer(); err != nil {
		t.Fatalf("answer: %v", err)
	}
	br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "nat-br"), "mixing", "main")
	if err != nil {
		t.Fatalf("bridge: %v", err)
	}
	if err := br.AddChannel("nat-co"); err != nil {
		t.Fatalf("addChannel: %v", err)
	}
	sink := newSink(t)
	em, err := cl.Channel().ExternalMedia(nil, ari.ExternalMediaOptions{App: "holdslayer", ExternalHost: sink.addr(), Format: "slin16", Encapsulation: "rtp", Transport: "udp"})
	if err != nil {
		t.Fatalf("externalMedia: %v", err)
	}
	port, err := em.GetVariable("UNICASTRTP_LOCAL_PORT")
	if err != nil || port == "" {
		t.Fatalf("UNICASTRTP_LOCAL_PORT: %q %v", port, err)
	}
	snoop, err := h.Snoop("nat-snoop", &ari.SnoopOptions{App: "holdslayer", Spy: ari.DirectionIn})
	if err != nil {
		t.Fatalf("snoop: %v", err)
	}
	if err := h.SendDTMF("3", &ari.DTMFOptions{Between: 100 * time.Millisecond, Duration: 100 * time.Millisecond}); err != nil {
		t.Fatalf("dtmf: %v", err)
	}
	for _, ch := range []*ari.ChannelHandle{snoop, em, h} {
		if err := ch.Hangup(); err != nil {
			t.Fatalf("hangup %s: %v", ch.ID(), err)
		}
	}
	if err := br.Delete(); err != nil {
		t.Fatalf("bridge delete: %v", err)
	}
}

// On a machine without Asterisk's sound packages the demo still runs: a scenario's core sound
// is spoken by name instead, where it used to stop the simulated Asterisk from starting.
func TestScenarioSoundWithoutTheSoundPackages(t *testing.T) {
	saved := coreSoundsDirs
	coreSoundsDirs = []string{t.TempDir()}
	t.Cleanup(func() { coreSoundsDirs = saved })
	c := newSoundCache(soundsDir(t))
	if _, err := c.sound("queue-periodic-announce"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("sound from an empty directory: %v, want a missing file", err)
	}
	sc := &Scenario{Name: "bare", Steps: []Step{{ID: "greet", Play: []Audio{{Sound: "queue-periodic-announce"}}}}}
	if err := sc.prepare(c); err != nil {
		t.Fatalf("prepare without the sound packages: %v", err)
	}
	if n := len(sc.Steps[0].Play[0].samples); n < 8000/2 {
		t.Errorf("stand-in for the missing sound: %d samples, want the name spoken (half a second or more)", n)
	}
}
