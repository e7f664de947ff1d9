package aritest

import (
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app/clock"
)

// TestWhisperInjectsAudio: what the service sends into a whisper=out snoop is heard by the
// snooped channel's far end (the device); with whisper=in it is heard by the channel's bridge
// instead (our other externalMedia) and not by the device.
func TestWhisperInjectsAudio(t *testing.T) {
	t.Parallel()
	clk := clock.NewScaled(4)
	s := newSim(t, Options{Clock: clk, Devices: map[string]DeviceBehavior{"robert": {}}})
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	tg.do(t, "POST", "/channels", qv("endpoint", "PJSIP/robert", "app", "holdslayer", "channelId", "dev"), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", "dev"))
	// the device's own bridge, listened to by a sink
	main := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
	listen := newSink(t)
	lem := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "external_host", listen.addr(), "format", "ulaw"), "").obj(t)
	tg.do(t, "POST", "/bridges/"+main+"/addChannel", qv("channel", "dev,"+lem["id"].(string)), "")

	whisper := func(dir string) (deviceEnergy, bridgeEnergy float64) {
		t.Helper()
		snoop := tg.do(t, "POST", "/channels/dev/snoop", qv("app", "holdslayer", "whisper", dir), "")
		if snoop.status != 200 {
			t.Fatalf("snoop whisper=%s = %d %s", dir, snoop.status, snoop.body)
		}
		sid := snoop.obj(t)["id"].(string)
		wb := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
		wem := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "external_host", newSink(t).addr(), "format", "ulaw"), "").obj(t)
		vars := wem["channelvars"].(map[string]any)
		tg.do(t, "POST", "/bridges/"+wb+"/addChannel", qv("channel", sid+","+wem["id"].(string)), "")
		h0, l0 := len(s.DeviceHeard("robert")), len(listen.snapshot())
		sendTone(t, vars["UNICASTRTP_LOCAL_ADDRESS"].(string)+":"+vars["UNICASTRTP_LOCAL_PORT"].(string), 0, 1000, 50, clk)
		_ = clock.Sleep(t.Context(), clk, 200*time.Millisecond)
		heard := s.DeviceHeard("robert")[h0:]
		bridged := samplesOf(listen.snapshot()[l0:])
		for _, id := range []string{sid, wem["id"].(string)} {
			tg.do(t, "DELETE", "/channels/"+id, nil, "")
		}
		tg.do(t, "DELETE", "/bridges/"+wb, nil, "")
		return toneEnergy(heard, 1000, 8000) * rmsRatio(heard), toneEnergy(bridged, 1000, 8000) * rmsRatio(bridged)
	}
	if dev, br := whisper("out"); dev < 0.3 || br > 0.1 {
		t.Errorf("whisper=out: device tone %.2f (want heard), bridge tone %.2f (want not)", dev, br)
	}
	if dev, br := whisper("in"); dev > 0.1 || br < 0.3 {
		t.Errorf("whisper=in: device tone %.2f (want not), bridge tone %.2f (want heard)", dev, br)
	}
	tg.do(t, "DELETE", "/channels/dev", nil, "")
	tg.do(t, "DELETE", "/channels/"+lem["id"].(string), nil, "")
	tg.do(t, "DELETE", "/bridges/"+main, nil, "")
}

// rmsRatio is 1 for a signal with real level and ~0 for near-silence, so a faint tone does not
// count as heard.
func rmsRatio(x []int16) float64 {
	if rms(x) > 300 {
		return 1
	}
	return 0
}

// quietAfter waits (clock time) until the sink has received nothing for quiet.
func quietAfter(t *testing.T, k *rtpSink, clk clock.Clock, quiet, limit time.Duration) {
	t.Helper()
	end := clk.Now().Add(limit)
	n, since := len(k.snapshot()), clk.Now()
	for clk.Now().Before(end) {
		_ = clock.Sleep(t.Context(), clk, 50*time.Millisecond)
		if m := len(k.snapshot()); m != n {
			n, since = m, clk.Now()
		} else if clk.Now().Sub(since) >= quiet {
			return
		}
	}
	t.Fatalf("sink never went quiet for %v", quiet)
}

// TestAgentReplies: the agent greets, then answers each thing the caller says with its next
// reply, in order, and says nothing once its replies are used up.
func TestAgentReplies(t *testing.T) {
	t.Parallel()
	clk := clock.NewScaled(4)
	sc := &Scenario{Steps: []Step{{Agent: &Agent{
		Greeting: "Hi, this is Sarah.",
		Replies:  []string{"Sure, I can help with that.", "Thank you. One moment please."},
		Patience: Duration(time.Minute),
	}}}}
	s := newSim(t, Options{Clock: clk, Scenarios: map[string]*Scenario{"5554000": sc}})
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	tg.do(t, "POST", "/channels", qv("endpoint", "PJSIP/5554000@trunk", "app", "holdslayer", "channelId", "co"), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", "co"))
	bid := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
	sink := newSink(t)
	em := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "external_host", sink.addr(), "format", "ulaw"), "").obj(t)
	vars := em["channelvars"].(map[string]any)
	local := vars["UNICASTRTP_LOCAL_ADDRESS"].(string) + ":" + vars["UNICASTRTP_LOCAL_PORT"].(string)
	tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", "co,"+em["id"].(string)), "")

	// the two-party bridge sends only while the agent talks: packets measure its speech
	quietAfter(t, sink, clk, 600*time.Millisecond, 20*time.Second)
	greeting := len(sink.snapshot())
	if greeting < 25 {
		t.Fatalf("greeting was %d packets", greeting)
	}
	var replies []int
	for i := 0; i < 3; i++ {
		n0 := len(sink.snapshot())
		sendTone(t, local, 0, 300, 50, clk) // one second of "speech", then a pause
		quietAfter(t, sink, clk, 1500*time.Millisecond, 20*time.Second)
		pkts := sink.snapshot()[n0:]
		replies = append(replies, len(pkts))
		if len(pkts) > 0 && rms(samplesOf(pkts)) < 300 {
			t.Errorf("reply %d is silent", i+1)
		}
	}
	// "Sure, I can help with that." is shorter than "Thank you. One moment please."
	if replies[0] < 25 || replies[1] < 25 || replies[2] != 0 {
		t.Errorf("packets after each utterance = %v, want two replies then nothing", replies)
	}
	if replies[0] >= replies[1] {
		t.Errorf("replies out of order: %v packets", replies)
	}
	tg.do(t, "DELETE", "/channels/co", nil, "")
	tg.do(t, "DELETE", "/channels/"+em["id"].(string), nil, "")
	tg.do(t, "DELETE", "/bridges/"+bid, nil, "")
}
