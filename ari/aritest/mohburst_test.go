package aritest

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// burstAfterGap finds where a run of n packets arrives within spread after a silence of at
// least gap; -1 if none.
func burstAfterGap(at []time.Time, n int, spread, gap time.Duration) int {
	for i := 1; i+n-1 < len(at); i++ {
		if at[i].Sub(at[i-1]) >= gap && at[i+n-1].Sub(at[i]) <= spread {
			return i
		}
	}
	return -1
}

// TestMOHStartGapAndBurst reproduces README fact 5 (trace d): when the company's music on hold
// starts, externalMedia RTP (bridged with the company) and a spy=in snoop both go quiet for
// ~40 ms, then ~24 packets of music arrive at once; sequence numbers and timestamps run on
// without a jump, so the stream ends up ahead of the clock.
func TestMOHStartGapAndBurst(t *testing.T) {
	sc := &Scenario{Steps: []Step{
		{Play: []Audio{{Tone: "1000"}}}, // 1 s tone
		{Hold: &Hold{Duration: Duration(10 * time.Second)}},
	}}
	s := newSim(t, Options{Scenarios: map[string]*Scenario{"5552000": sc}})
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	tg.do(t, "POST", "/channels", qv("endpoint", "PJSIP/5552000@trunk", "app", "holdslayer", "channelId", "co"), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", "co"))
	bid := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
	direct := newSink(t)
	em := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "external_host", direct.addr(), "format", "slin16"), "").obj(t)
	tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", "co,"+em["id"].(string)), "")
	snoop := tg.do(t, "POST", "/channels/co/snoop", qv("app", "holdslayer", "spy", "in"), "").obj(t)
	sb := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
	spy := newSink(t)
	sem := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "external_host", spy.addr(), "format", "ulaw"), "").obj(t)
	tg.do(t, "POST", "/bridges/"+sb+"/addChannel", qv("channel", snoop["id"].(string)+","+sem["id"].(string)), "")

	time.Sleep(1800 * time.Millisecond)
	for _, k := range []struct {
		name string
		sink *rtpSink
		step uint32
		rate int
	}{{"externalMedia", direct, 320, 16000}, {"snoop", spy, 160, 8000}} {
		k.sink.mu.Lock()
		pkts := append([]rtp.Packet(nil), k.sink.pkts...)
		at := append([]time.Time(nil), k.sink.at...)
		k.sink.mu.Unlock()
		i := burstAfterGap(at, 22, 12*time.Millisecond, 35*time.Millisecond)
		if i < 0 {
			t.Errorf("%s: no gap followed by a burst of %d packets in %d packets", k.name, 22, len(pkts))
			continue
		}
		for j := 1; j < len(pkts); j++ {
			if d := pkts[j].Timestamp - pkts[j-1].Timestamp; d != k.step || pkts[j].SequenceNumber != pkts[j-1].SequenceNumber+1 {
				t.Fatalf("%s: packet %d ts step %d seq %d->%d: the gap must not skip timestamps", k.name, j, d, pkts[j-1].SequenceNumber, pkts[j].SequenceNumber)
			}
		}
		if e := toneEnergy(samplesOf(pkts[max(0, i-20):i]), 1000, k.rate); e < 0.5 {
			t.Errorf("%s: packets before the gap are not the 1 kHz prompt (%.2f)", k.name, e)
		}
		burst := samplesOf(pkts[i : i+22])
		if e := toneEnergy(burst, 1000, k.rate); e > 0.3 || rms(burst) < 50 {
			t.Errorf("%s: burst is not music (tone %.2f, rms %.0f)", k.name, e, rms(burst))
		}
		// after the burst the stream is ~22 packets ahead of real time
		span := at[len(at)-1].Sub(at[0])
		ahead := len(pkts) - 1 - int(span/frameDur)
		if ahead < 15 || ahead > 30 {
			t.Errorf("%s: %d packets in %v: %d ahead of 50/s, want ~22", k.name, len(pkts), span, ahead)
		}
	}
}
