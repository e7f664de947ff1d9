package aritest

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/holdslayer/holdslayer/app/clock"
)

// holdingCompany answers and plays music for a long time, so RTP flows steadily.
func holdingCompany() *Scenario {
	return &Scenario{Steps: []Step{{Hold: &Hold{Duration: Duration(10 * time.Minute)}}}}
}

// mediaCall starts a call to number, bridges it with an externalMedia channel sending to a new
// sink and returns the sink.
func mediaCall(t *testing.T, tg *target, ev *events, number, id, format string) *rtpSink {
	t.Helper()
	tg.do(t, "POST", "/channels", qv("endpoint", "PJSIP/"+number+"@trunk", "app", "holdslayer", "channelId", id), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", id))
	bid := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
	sink := newSink(t)
	em := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "external_host", sink.addr(), "format", format), "").obj(t)
	tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", id+","+em["id"].(string)), "")
	return sink
}

// seqStats unwraps sequence numbers: how many were expected between the first and the last,
// and how many packets arrived after one with a higher number (reordered).
func seqStats(pkts []rtp.Packet) (expected int, reordered int) {
	if len(pkts) == 0 {
		return 0, 0
	}
	first := int(pkts[0].SequenceNumber)
	last, maxSeen := first, first
	prev := first
	for _, p := range pkts[1:] {
		s := int(p.SequenceNumber)
		for s < prev-32768 {
			s += 65536
		}
		for s > prev+32768 {
			s -= 65536
		}
		prev = s
		if s < maxSeen {
			reordered++
		} else {
			maxSeen = s
		}
		if s > last {
			last = s
		}
		if s < first {
			first = s
		}
	}
	return last - first + 1, reordered
}

// TestFaultPacketLoss: with PacketLoss 0.2 the receiver measures 20% loss (within 6 points over
// ~800 packets) as sequence gaps; without it, none. SetFaults switches it on mid-call.
func TestFaultPacketLoss(t *testing.T) {
	t.Parallel()
	clk := clock.NewScaled(20)
	s := newSim(t, Options{Clock: clk, Scenarios: map[string]*Scenario{"5553000": holdingCompany()}})
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	sink := mediaCall(t, tg, ev, "5553000", "co", "ulaw")
	measure := func(d time.Duration) (loss float64, n int) {
		n0 := len(sink.snapshot())
		_ = clock.Sleep(t.Context(), clk, d)
		pkts := sink.snapshot()[n0:]
		exp, _ := seqStats(pkts)
		return 1 - float64(len(pkts))/float64(exp), len(pkts)
	}
	_ = clock.Sleep(t.Context(), clk, time.Second) // past the music-start burst
	if loss, n := measure(8 * time.Second); loss > 0.02 || n < 300 {
		t.Errorf("without the fault: loss %.3f over %d packets", loss, n)
	}
	s.SetFaults(Faults{PacketLoss: 0.2})
	loss, n := measure(16 * time.Second)
	if math.Abs(loss-0.2) > 0.06 {
		t.Errorf("measured loss %.3f over %d packets, want 0.20±0.06", loss, n)
	}
	t.Logf("PacketLoss 0.2: measured %.3f over %d packets", loss, n)
}

// TestFaultJitter: with Jitter 80 ms the arrival times spread far beyond the 20 ms period and
// packets arrive out of order; without it, in order and on time.
func TestFaultJitter(t *testing.T) {
	s := newSim(t, Options{Scenarios: map[string]*Scenario{"5553001": holdingCompany()}})
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	sink := mediaCall(t, tg, ev, "5553001", "co", "ulaw")
	measure := func(d time.Duration) (spread time.Duration, reordered, n int) {
		sink.mu.Lock()
		n0 := len(sink.pkts)
		sink.mu.Unlock()
		time.Sleep(d)
		sink.mu.Lock()
		pkts := append([]rtp.Packet(nil), sink.pkts[n0:]...)
		at := append([]time.Time(nil), sink.at[n0:]...)
		sink.mu.Unlock()
		_, reordered = seqStats(pkts)
		// lateness of each packet against its sequence slot
		lo, hi := time.Duration(math.MaxInt64), time.Duration(math.MinInt64)
		for i, p := range pkts {
			slot := time.Duration(int16(p.SequenceNumber-pkts[0].SequenceNumber)) * frameDur
			late := at[i].Sub(at[0]) - slot
			lo, hi = min(lo, late), max(hi, late)
		}
		return hi - lo, reordered, len(pkts)
	}
	time.Sleep(500 * time.Millisecond)
	if spread, re, n := measure(700 * time.Millisecond); re != 0 || spread > 45*time.Millisecond || n < 20 {
		t.Errorf("without jitter: spread %v, %d reordered of %d", spread, re, n)
	}
	s.SetFaults(Faults{Jitter: 80 * time.Millisecond})
	spread, re, n := measure(time.Second)
	if spread < 50*time.Millisecond || re < 5 {
		t.Errorf("with 80 ms jitter: spread %v, %d reordered of %d packets", spread, re, n)
	}
	t.Logf("Jitter 80ms: arrival spread %v, %d of %d packets reordered", spread, re, n)
}

// TestFaultHangupAtStep: the company hangs up when its script reaches the named step, not
// before, with cause 16 and the far-end hangup event order of trace e2.
func TestFaultHangupAtStep(t *testing.T) {
	t.Parallel()
	clk := clock.NewScaled(10)
	sc := &Scenario{Steps: []Step{
		{ID: "greet", Play: []Audio{{Tone: "440"}}},
		{ID: "menu", Menu: &Menu{Prompt: []Audio{{Tone: "600"}}, Options: map[string]string{"3": "hold"}, Timeout: Duration(20 * time.Second)}},
		{ID: "hold", Hold: &Hold{Duration: Duration(60 * time.Second)}},
		{ID: "agent", Agent: &Agent{Greeting: "Hello."}},
	}}
	s := newSim(t, Options{Clock: clk, Scenarios: map[string]*Scenario{"5553002": sc}, Faults: Faults{HangupAtStep: "hold"}})
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	tg.do(t, "POST", "/channels", qv("endpoint", "Local/5553002@from-internal", "app", "holdslayer", "channelId", "co", "otherChannelId", "co-L2"), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", "co"))
	bid := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
	tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", "co"), "")
	ev.waitFor(t, 5*time.Second, "entered", isEv("ChannelEnteredBridge", "co"))
	// greet (1 s) and the menu (waiting 20 s) pass without a hangup
	_ = clock.Sleep(t.Context(), clk, 5*time.Second)
	if got := ev.forChan("co"); reflect.DeepEqual(got[len(got)-1:], []string{"ChannelDestroyed"}) {
		t.Fatalf("hung up before the hold step: %v", got)
	}
	before := len(ev.forChan("co"))
	pressed := clk.Now()
	tg.do(t, "POST", "/channels/co/dtmf", qv("dtmf", "3"), "")
	d := ev.waitFor(t, 5*time.Second, "far-end hangup", isEv("ChannelDestroyed", "co"))
	if took := clk.Now().Sub(pressed); took > 2*time.Second {
		t.Errorf("hangup %v after the key that leads to the hold step", took)
	}
	assertOrder(t, "far-end hangup", ev.forChan("co")[before:], traceRemoteHangupOrder)
	hr := ev.waitFor(t, time.Second, "hangup request", isEv("ChannelHangupRequest", "co"))
	if hr["cause"] != float64(16) || hr["soft"] != nil || d["cause"] != float64(16) {
		t.Errorf("hangup request %v/%v, destroyed %v; want cause 16, not soft", hr["cause"], hr["soft"], d["cause"])
	}
	ev.waitFor(t, time.Second, "Local;2 destroyed", isEv("ChannelDestroyed", "co-L2"))
	tg.do(t, "DELETE", "/bridges/"+bid, nil, "")
}

// TestFaultHangupFarEndAnyStep: HangupFarEnd ends a call from the far end wherever its script
// is (here in the middle of a prompt, on a trunk channel), with the e2 order and cause 16.
func TestFaultHangupFarEndAnyStep(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{Clock: fastClock(), Scenarios: map[string]*Scenario{"5553003": holdingCompany()}})
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	tg.do(t, "POST", "/channels", qv("endpoint", "PJSIP/5553003@trunk", "app", "holdslayer", "channelId", "co"), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", "co"))
	bid := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
	tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", "co"), "")
	ev.waitFor(t, 5*time.Second, "entered", isEv("ChannelEnteredBridge", "co"))
	before := len(ev.forChan("co"))
	if err := s.HangupFarEnd("co"); err != nil {
		t.Fatal(err)
	}
	ev.waitFor(t, 5*time.Second, "destroyed", isEv("ChannelDestroyed", "co"))
	assertOrder(t, "far-end hangup", ev.forChan("co")[before:], traceRemoteHangupOrder)
	if err := s.HangupFarEnd("co"); err == nil {
		t.Error("HangupFarEnd of a gone channel succeeded")
	}
	tg.do(t, "DELETE", "/bridges/"+bid, nil, "")
}

// TestFaultFailNextOriginate: the queued failures answer with the status asked for and the
// body Asterisk gives for an allocation failure (trace g: 500 {"error":"Allocation failed"}),
// with no channel and no event; the originate after them works.
func TestFaultFailNextOriginate(t *testing.T) {
	t.Parallel()
	s := newSim(t, contractOpts())
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	s.FailNextOriginate(500)
	s.FailNextOriginate(503)
	for _, want := range []int{500, 503} {
		r := tg.do(t, "POST", "/channels", qv("endpoint", "Local/s@company-ivr", "app", "holdslayer", "channelId", "f1"), "")
		var body map[string]string
		if err := json.Unmarshal(r.body, &body); err != nil || r.status != want || !reflect.DeepEqual(body, map[string]string{"error": "Allocation failed"}) {
			t.Errorf("failed originate = %d %s, want %d {\"error\":\"Allocation failed\"}", r.status, r.body, want)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if got := ev.forChan("f1"); len(got) != 0 {
		t.Errorf("events for a failed originate: %v", got)
	}
	if c, _ := s.Live(); c != 0 {
		t.Errorf("%d channels after failed originates", c)
	}
	if r := tg.do(t, "POST", "/channels", qv("endpoint", "Local/s@company-ivr", "app", "holdslayer", "channelId", "f1"), ""); r.status != 200 {
		t.Fatalf("originate after the failures = %d %s", r.status, r.body)
	}
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", "f1"))
	tg.do(t, "DELETE", "/channels/f1", nil, "")
}

// A server given no SoundsDir renders into a temporary one of its own and
// removes it on Close: test runs and `make run` used to leave one behind in
// the temporary directory per server (over a thousand on a CI machine).
func TestCloseRemovesItsOwnSoundsDir(t *testing.T) {
	srv, err := New(Options{Scenarios: map[string]*Scenario{"+18005550100": holdingCompany()}})
	if err != nil {
		t.Fatal(err)
	}
	dir := srv.opts.SoundsDir
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("sounds dir while running: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("sounds dir %s after Close: %v, want it gone", dir, err)
	}
	given := t.TempDir()
	srv, err = New(Options{SoundsDir: given})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(given); err != nil {
		t.Fatalf("a SoundsDir the caller gave was removed: %v", err)
	}
}
