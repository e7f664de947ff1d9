package e2e

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/ari/aritest"
)

// Real-time budgets for waits. At 10x a 24 s hold is 2.4 s; the margins cover -race on a
// loaded two-core machine.
const (
	waitLong  = 40 * time.Second
	waitShort = 15 * time.Second
)

// holdSlayerEvents are the seed's events of a hold_slayer call that reaches a person, in order.
var holdSlayerEvents = []string{
	"call_started", "call_ringing", "call_connected",
	"ivr_step", "ivr_step", "ivr_step", "ivr_dtmf_sent",
	"hold_detected", "human_detected", "transfer_started", "transfer_complete",
}

// TestHoldSlayer is the main job through the API: a stored flow gets through the menu with
// DTMF, the classifier hears the hold and then the agent, the user's phone rings and is joined
// to the agent, and every step is on the WebSocket in the seed's order and in the store.
func TestHoldSlayer(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client
	dev := c.device(t, "Robert's desk phone", "PJSIP/"+phoneRobert, 10)
	flow := c.menuFlow(t, numShortHold)
	ws := c.events(t, "")

	placed := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{
		"number": numShortHold, "intent": "talk to a person", "call_flow_id": flow,
	}, http.StatusCreated)
	id := placed["call_id"].(string)
	if placed["status"] != "trying" || placed["mode"] != "hold_slayer" {
		t.Errorf("placed call: %v", placed)
	}

	dtmf := ws.wait(t, id, "ivr_dtmf_sent", waitShort)
	if dtmf.Data["digits"] != "0" || dtmf.Data["step_id"] != "press0" {
		t.Errorf("ivr_dtmf_sent data %v", dtmf.Data)
	}
	hold := ws.wait(t, id, "hold_detected", waitLong)
	if hold.Data["audio_type"] == "" || hold.Data["confidence"] == nil {
		t.Errorf("hold_detected data %v", hold.Data)
	}
	onHold := c.call(t, id)
	if onHold["status"] != "on_hold" && onHold["status"] != "human_detected" && onHold["status"] != "transferring" {
		t.Errorf("status after hold_detected: %v", onHold["status"])
	}
	human := ws.wait(t, id, "human_detected", waitLong)
	done := ws.wait(t, id, "transfer_complete", waitLong)
	if done.Data["device"] != "Robert's desk phone" || done.Data["bridge_id"] == "" {
		t.Errorf("transfer_complete data %v", done.Data)
	}
	// Not a false transfer: the voice that was confirmed started when the agent came on, after
	// the scripted 24 s of music (hold_detected needs about 6 s of it), and nothing was withdrawn.
	// human_detected itself follows once the transcript and the live check confirmed it.
	latency, _ := human.Data["latency_s"].(float64)
	onset := clockBetween(t, hold, human) - time.Duration(latency*float64(time.Second))
	if onset < 12*time.Second || onset > 30*time.Second {
		t.Errorf("confirmed voice started %s of clock time after hold_detected, want when the agent answers (about 18 s)", onset)
	}
	if latency <= 0 || latency > 20 {
		t.Errorf("human confirmed %.1f s after the voice started, want within 20 s (transcript + live check)", latency)
	}
	t.Logf("human confirmed %.1f s (clock) after the agent's voice started", latency)
	heardBefore := len(e.sim.DeviceHeard(phoneRobert))
	got := c.waitStatus(t, id, waitShort, "transferred")
	if got["device"] != dev {
		t.Errorf("transferred call's device = %v, want %s", got["device"], dev)
	}
	if h, _ := got["hold_time"].(float64); h < 5 {
		t.Errorf("hold_time %v s, want the hold (about 20 s of clock time)", got["hold_time"])
	}
	if hist, _ := got["classification_history"].([]any); len(hist) == 0 {
		t.Errorf("no classification_history: %v", got)
	}
	// The phone hears the agent: the agent answers the phone's "Hello?" with a reply.
	waitHeard(t, e.sim, phoneRobert, heardBefore, waitShort)

	inOrder(t, ws.of(id), holdSlayerEvents...)
	statuses(t, ws.of(id), "ringing", "connected", "navigating", "on_hold", "human_detected", "transferring", "transferred")
	noFalseTransfer(t, ws.of(id))
	for _, ev := range ws.of(id) {
		if _, err := time.Parse(time.RFC3339, ev.Timestamp); err != nil || ev.CallID != id || ev.Data == nil {
			t.Errorf("malformed event %+v", ev)
		}
	}

	c.json(t, http.MethodPost, "/api/calls/"+id+"/hangup", nil, http.StatusOK)
	ended := ws.wait(t, id, "call_ended", waitShort)
	if ended.Data["reason"] != "user_hangup" {
		t.Errorf("call_ended data %v", ended.Data)
	}
	final := c.call(t, id)
	if final["status"] != "ended" || final["end_reason"] != "user_hangup" {
		t.Errorf("stored call: %v", final)
	}
	// A late client replays the whole call from the store with since=0, in the same order.
	replay := c.events(t, "call_id="+id+"&since=0")
	replay.wait(t, id, "call_ended", waitShort)
	if a, b := types(replay.of(id)), types(ws.of(id)); a != b {
		t.Errorf("replay differs from live:\n live   %s\n replay %s", b, a)
	}
}

// TestDirect dials the company and the user's phone at once and bridges them.
func TestDirect(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client
	dev := c.device(t, "Robert", "PJSIP/"+phoneRobert, 10)
	ws := c.events(t, "")
	id := c.json(t, http.MethodPost, "/api/calls/outbound", map[string]any{
		"number": numLongHold, "mode": "direct", "device": dev,
	}, http.StatusCreated)["call_id"].(string)
	ws.wait(t, id, "transfer_complete", waitShort)
	// The phone hears the company's menu prompt through the bridge.
	waitHeard(t, e.sim, phoneRobert, 0, waitShort)
	// Both legs are dialled at once: the device's transfer_started comes right after call_started.
	inOrder(t, ws.of(id), "call_started", "call_ringing", "call_connected", "transfer_complete")
	inOrder(t, ws.of(id), "call_started", "transfer_started", "transfer_complete")
	for _, ev := range ws.of(id) {
		if ev.Type == "hold_detected" || ev.Type == "ivr_step" || ev.Type == "recording_started" {
			t.Errorf("direct call emitted %s", ev.Type)
		}
	}
	c.json(t, http.MethodPost, "/api/calls/"+id+"/hangup", nil, http.StatusOK)
	if got := c.call(t, id); got["status"] != "ended" || got["end_reason"] != "user_hangup" || got["mode"] != "direct" {
		t.Errorf("stored direct call: %v", got)
	}
}

// TestAIAssisted is direct plus listening and recording: recordings are stored, listed and
// downloadable as WAV, with Range requests.
func TestAIAssisted(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client
	c.device(t, "Robert", "PJSIP/"+phoneRobert, 10)
	ws := c.events(t, "")
	id := c.json(t, http.MethodPost, "/api/calls/outbound", map[string]any{
		"number": numLongHold, "mode": "ai_assisted",
	}, http.StatusCreated)["call_id"].(string)
	ws.wait(t, id, "transfer_complete", waitShort)
	started := ws.wait(t, id, "recording_started", waitShort)
	if started.Data["recording_id"] == "" || started.Data["path"] == "" {
		t.Errorf("recording_started data %v", started.Data)
	}
	ws.wait(t, id, "audio_classified", waitShort)
	waitHeard(t, e.sim, phoneRobert, 0, waitShort)
	time.Sleep(300 * time.Millisecond) // a few clock seconds of call to record
	c.json(t, http.MethodPost, "/api/calls/"+id+"/hangup", nil, http.StatusOK)
	stopped := ws.wait(t, id, "recording_stopped", waitShort)
	if d, _ := stopped.Data["duration"].(float64); d <= 0 {
		t.Errorf("recording_stopped data %v", stopped.Data)
	}
	if sz, _ := stopped.Data["file_size"].(float64); sz <= 44 {
		t.Errorf("recording_stopped data %v", stopped.Data)
	}

	list := c.json(t, http.MethodGet, "/api/calls/"+id+"/recordings", nil, http.StatusOK)
	recs, _ := list["recordings"].([]any)
	if len(recs) == 0 {
		t.Fatalf("no recordings listed: %v", list)
	}
	kinds := map[string]bool{}
	for _, r := range recs {
		rec := r.(map[string]any)
		kinds[rec["kind"].(string)] = true
		code, body, hdr := c.do(t, http.MethodGet, rec["url"].(string), nil, nil)
		if code != http.StatusOK || hdr.Get("Content-Type") != "audio/wav" {
			t.Fatalf("download %v: %d %s", rec["url"], code, hdr.Get("Content-Type"))
		}
		if float64(len(body)) != rec["file_size"].(float64) {
			t.Errorf("recording %v: %d bytes, listed %v", rec["id"], len(body), rec["file_size"])
		}
		pcm := wavPCM(t, body)
		if rec["kind"] == "mixed" && loudest(pcm) < 300 {
			t.Errorf("mixed recording is silent (loudest 200 ms window RMS %.0f)", loudest(pcm))
		}
		code, part, hdr := c.do(t, http.MethodGet, rec["url"].(string), nil, map[string]string{"Range": "bytes=0-11"})
		if code != http.StatusPartialContent || string(part[:4]) != "RIFF" || string(part[8:12]) != "WAVE" || len(part) != 12 ||
			!strings.HasPrefix(hdr.Get("Content-Range"), "bytes 0-11/") {
			t.Errorf("range request: %d %q %v", code, part, hdr)
		}
	}
	if !kinds["mixed"] {
		t.Errorf("recording kinds %v, want a mixed recording of the call", kinds)
	}
	if code, _, _ := c.do(t, http.MethodGet, "/api/recordings/rec_missing/file", nil, nil); code != http.StatusNotFound {
		t.Errorf("missing recording: %d, want 404", code)
	}
}

// TestDialplanEntry: the user's phone dials *88<number>*<flow>, the dialplan hands the channel
// to Stasis(holdslayer,dial,<number>,<flow>); the phone waits with music while the service
// navigates and holds, and is joined to the agent; the caller hanging up ends the call.
func TestDialplanEntry(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client
	flow := c.menuFlow(t, numShortHold)
	ws := c.events(t, "")
	ch, err := e.sim.CallIn(phoneRobert, "holdslayer", "dial", numShortHold, flow)
	if err != nil {
		t.Fatal(err)
	}
	start := ws.wait(t, "", "call_started", waitShort)
	id := start.CallID
	if start.Data["number"] != numShortHold || start.Data["mode"] != "hold_slayer" {
		t.Errorf("call_started data %v", start.Data)
	}
	ws.wait(t, id, "hold_detected", waitLong)
	// Music while waiting: the phone has heard audio before any transfer.
	waitHeard(t, e.sim, phoneRobert, 0, waitShort)
	done := ws.wait(t, id, "transfer_complete", waitLong)
	if done.Data["device"] != "caller" {
		t.Errorf("transfer_complete data %v", done.Data)
	}
	n := len(e.sim.DeviceHeard(phoneRobert))
	waitHeard(t, e.sim, phoneRobert, n, waitShort)
	inOrder(t, ws.of(id), holdSlayerEvents...)
	if got := c.call(t, id); got["status"] != "transferred" || got["call_flow_id"] != flow {
		t.Errorf("dialplan call: %v", got)
	}
	if err := e.sim.HangupFarEnd(ch); err != nil {
		t.Fatal(err)
	}
	ended := ws.wait(t, id, "call_ended", waitShort)
	if ended.Data["reason"] != "caller_hangup" {
		t.Errorf("call_ended data %v", ended.Data)
	}
}

// TestRemoteHangupDuringHold: the company drops the caller while on hold; the call ends with
// remote_hangup, stored and announced.
func TestRemoteHangupDuringHold(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client
	c.device(t, "Robert", "PJSIP/"+phoneRobert, 10)
	flow := c.menuFlow(t, numLongHold)
	ws := c.events(t, "")
	id := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": numLongHold, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	ws.wait(t, id, "hold_detected", waitLong)
	c.waitStatus(t, id, waitShort, "on_hold")
	time.Sleep(200 * time.Millisecond) // 3 s of clock time on hold
	trunk := simChannel(t, e.sim, "PJSIP/trunk-")
	if err := e.sim.HangupFarEnd(trunk); err != nil {
		t.Fatal(err)
	}
	ended := ws.wait(t, id, "call_ended", waitShort)
	if ended.Data["reason"] != "remote_hangup" {
		t.Errorf("call_ended data %v", ended.Data)
	}
	got := c.call(t, id)
	if got["status"] != "ended" || got["end_reason"] != "remote_hangup" {
		t.Errorf("stored call: %v", got)
	}
	if h, _ := got["hold_time"].(float64); h <= 0 {
		t.Errorf("hold_time %v after a hangup on hold", got["hold_time"])
	}
	for _, ev := range ws.of(id) {
		if ev.Type == "transfer_started" || ev.Type == "human_detected" {
			t.Errorf("unexpected %s: the hold had no person", ev.Type)
		}
	}
}

// TestDeviceNoAnswerFallsBack: the highest-priority phone never answers; after the ring
// timeout the next phone rings, answers and hears the agent.
func TestDeviceNoAnswerFallsBack(t *testing.T) {
	e := newEnv(t, envOptions{
		devices: map[string]aritest.DeviceBehavior{
			phoneDesk:   {Mode: aritest.DeviceNeverAnswers},
			phoneRobert: {Mode: aritest.DeviceAnswers, Rings: 1, Greeting: "Hello?"},
		},
		limits: app.Limits{DeviceRingTimeout: 12 * time.Second},
	})
	c := e.client
	c.device(t, "Desk", "PJSIP/"+phoneDesk, 20)
	c.device(t, "Robert", "PJSIP/"+phoneRobert, 10)
	flow := c.menuFlow(t, numShortHold)
	ws := c.events(t, "")
	id := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": numShortHold, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	done := ws.wait(t, id, "transfer_complete", waitLong)
	if done.Data["device"] != "Robert" {
		t.Errorf("transfer_complete data %v, want Robert after Desk did not answer", done.Data)
	}
	var tried []string
	for _, ev := range ws.of(id) {
		if ev.Type == "transfer_started" {
			tried = append(tried, ev.Data["device"].(string))
		}
	}
	if strings.Join(tried, ",") != "Desk,Robert" {
		t.Errorf("devices rung %v, want Desk then Robert", tried)
	}
	failedOver := false
	for _, ev := range ws.of(id) {
		failedOver = failedOver || ev.Type == "transfer_failed"
	}
	if failedOver {
		t.Errorf("transfer_failed although Robert answered: %s", types(ws.of(id)))
	}
	n := len(e.sim.DeviceHeard(phoneRobert))
	waitHeard(t, e.sim, phoneRobert, n, waitShort)
	if len(e.sim.DeviceHeard(phoneDesk)) != 0 {
		t.Errorf("the unanswered desk phone heard audio")
	}
	c.json(t, http.MethodPost, "/api/calls/"+id+"/hangup", nil, http.StatusOK)
}

// TestHoldAnnouncementIsNotAPerson: a hold broken by a spoken announcement ("your call is
// important to us") must not ring the user; only the agent after the hold may.
func TestHoldAnnouncementIsNotAPerson(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client
	c.device(t, "Robert", "PJSIP/"+phoneRobert, 10)
	flow := c.menuFlow(t, numAnnounce)
	ws := c.events(t, "")
	id := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": numAnnounce, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	hold := ws.wait(t, id, "hold_detected", waitLong)
	first := ws.wait(t, id, "transfer_started", waitLong)
	early := clockBetween(t, hold, first) < 25*time.Second
	c.json(t, http.MethodPost, "/api/calls/"+id+"/hangup", nil, http.StatusOK)
	if early {
		t.Fatalf("false transfer: the user's phone was rung %s after hold_detected, during the hold "+
			"announcements (the agent answers after about 34 s); events: %s",
			clockBetween(t, hold, first), types(ws.of(id)))
	}
}

// noFalseTransfer fails on any sign that a candidate person was taken back.
func noFalseTransfer(t *testing.T, evs []event) {
	t.Helper()
	n := 0
	for _, ev := range evs {
		switch ev.Type {
		case "human_withdrawn", "transfer_failed":
			t.Errorf("%s during the call: %v", ev.Type, ev.Data)
		case "transfer_started":
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d transfer_started events, want 1: %s", n, types(evs))
	}
}

// clockBetween is the clock time between two events' timestamps.
func clockBetween(t *testing.T, a, b event) time.Duration {
	t.Helper()
	ta, err1 := time.Parse(time.RFC3339Nano, a.Timestamp)
	tb, err2 := time.Parse(time.RFC3339Nano, b.Timestamp)
	if err1 != nil || err2 != nil {
		t.Fatalf("event timestamps %q %q: %v %v", a.Timestamp, b.Timestamp, err1, err2)
	}
	return tb.Sub(ta)
}

// statuses checks the status_changed events pass through want in order.
func statuses(t *testing.T, evs []event, want ...string) {
	t.Helper()
	var got []string
	for _, ev := range evs {
		if ev.Type == "status_changed" {
			got = append(got, ev.Data["status"].(string))
		}
	}
	i := 0
	for _, s := range got {
		if i < len(want) && s == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("statuses %v, want %v in order", got, want)
	}
}

// waitHeard waits until the simulated phone heard speech-level audio after sample from.
func waitHeard(t *testing.T, sim *aritest.Server, phone string, from int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		h := sim.DeviceHeard(phone)
		if from < len(h) && loudest(h[from:]) > 300 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	h := sim.DeviceHeard(phone)
	t.Fatalf("%s heard nothing loud after sample %d within %s (%d samples, loudest %.0f)", phone, from, within, len(h), loudest(h[min(from, len(h)):]))
}

// loudest is the highest RMS of a 200 ms (8 kHz) window.
func loudest(s []int16) float64 {
	const win = 1600
	best := 0.0
	for i := 0; i+win <= len(s); i += win / 2 {
		var sum float64
		for _, v := range s[i : i+win] {
			sum += float64(v) * float64(v)
		}
		best = math.Max(best, math.Sqrt(sum/win))
	}
	return best
}

// wavPCM checks a 16-bit mono PCM WAV and returns its samples.
func wavPCM(t *testing.T, b []byte) []int16 {
	t.Helper()
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("not a WAV file: %q", b[:min(len(b), 12)])
	}
	var pcm []int16
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8 : min(off+8+size, len(b))]
		switch id {
		case "fmt ":
			if binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[2:]) != 1 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				t.Errorf("WAV format: want PCM mono 16-bit, got % x", body[:16])
			}
			if rate := binary.LittleEndian.Uint32(body[4:]); rate != 8000 && rate != 16000 {
				t.Errorf("WAV rate %d", rate)
			}
		case "data":
			for i := 0; i+1 < len(body); i += 2 {
				pcm = append(pcm, int16(binary.LittleEndian.Uint16(body[i:])))
			}
		}
		off += 8 + size + size%2
	}
	if len(pcm) == 0 {
		t.Errorf("WAV has no samples")
	}
	return pcm
}

// simChannel finds a live channel of the simulated Asterisk by name prefix, over ARI REST.
func simChannel(t *testing.T, sim *aritest.Server, prefix string) string {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, sim.URL()+"/channels", nil)
	req.SetBasicAuth("holdslayer", "holdslayer")
	res, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var chans []struct{ ID, Name string }
	if err := json.NewDecoder(res.Body).Decode(&chans); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		if strings.HasPrefix(ch.Name, prefix) {
			return ch.ID
		}
	}
	t.Fatalf("no channel named %s* among %v", prefix, chans)
	return ""
}
