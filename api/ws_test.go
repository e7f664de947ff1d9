package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/holdslayer/holdslayer/app"
)

// dialWS opens /ws/events with the query; header may carry a token.
func dialWS(t *testing.T, e *env, query string, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws/events"
	if query != "" {
		u += "?" + query
	}
	c, res, err := websocket.DefaultDialer.Dial(u, header)
	if err == nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, res, err
}

func mustDialWS(t *testing.T, e *env, query string) *websocket.Conn {
	t.Helper()
	c, _, err := dialWS(t, e, query, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

func readEvent(t *testing.T, c *websocket.Conn) (map[string]any, []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(msg, &m); err != nil {
		t.Fatalf("event is not JSON: %s", msg)
	}
	return m, msg
}

func publish(e *env, callID string, typ app.EventType, data map[string]any) app.Event {
	return e.bus.Publish(context.Background(), app.Event{Type: typ, CallID: callID, Timestamp: time.Now(), Data: data})
}

func TestWSFiltersAndShape(t *testing.T) {
	e := newEnv(t)
	c := mustDialWS(t, e, "call_id=call_A&types=hold_detected,human_detected")
	publish(e, "call_A", app.EventCallStarted, map[string]any{"number": "+18005551234"})
	publish(e, "call_B", app.EventHoldDetected, map[string]any{"audio_type": "music"})
	hold := publish(e, "call_A", app.EventHoldDetected, map[string]any{"audio_type": "music", "confidence": 0.92, "hold_duration": 0})
	publish(e, "call_A", app.EventAudioClassified, map[string]any{"audio_type": "music"})
	human := publish(e, "call_A", app.EventHumanDetected, map[string]any{"confidence": 0.9, "transcript_excerpt": "this is Sarah"})

	m, raw := readEvent(t, c)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if strings.Join(keys, ",") != "call_id,data,seq,timestamp,type" {
		t.Errorf("event keys = %v: %s", keys, raw)
	}
	if m["type"] != "hold_detected" || m["call_id"] != "call_A" || m["seq"].(float64) != float64(hold.Seq) {
		t.Errorf("first event = %s", raw)
	}
	ts := m["timestamp"].(string)
	if want := hold.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z"); ts != want {
		t.Errorf("timestamp = %q, want %q (RFC 3339, ms, UTC)", ts, want)
	}
	if d := m["data"].(map[string]any); d["audio_type"] != "music" || d["confidence"] != 0.92 {
		t.Errorf("data = %v", d)
	}
	m, raw = readEvent(t, c)
	if m["type"] != "human_detected" || m["seq"].(float64) != float64(human.Seq) {
		t.Errorf("second event = %s", raw)
	}

	// Without filters every event arrives.
	all := mustDialWS(t, e, "")
	publish(e, "call_Z", app.EventCallRinging, map[string]any{"number": "+1"})
	if m, raw := readEvent(t, all); m["type"] != "call_ringing" || m["call_id"] != "call_Z" {
		t.Errorf("unfiltered = %s", raw)
	}
	marker := publish(e, "call_A", app.EventHoldDetected, map[string]any{"audio_type": "silence"})
	if m, raw := readEvent(t, c); int64(m["seq"].(float64)) != marker.Seq {
		t.Errorf("filtered client got %s, want only the marker seq %d", raw, marker.Seq)
	}
}

func TestWSBadFilters(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"types=hold_detected,bogus", "since=abc", "since=-1"} {
		_, res, err := dialWS(t, e, q, nil)
		if err == nil || res == nil || res.StatusCode != 400 {
			t.Errorf("%s: err %v, response %v", q, err, res)
		}
	}
}

func TestWSSinceReplaysThenGoesLive(t *testing.T) {
	e := newEnv(t)
	var seqs []int64
	for i := range 5 {
		seqs = append(seqs, publish(e, "call_A", app.EventIVRStep, map[string]any{"step_id": i}).Seq)
	}
	publish(e, "call_B", app.EventIVRStep, nil)
	c := mustDialWS(t, e, "call_id=call_A&since="+itoa(seqs[1]))
	for _, want := range seqs[2:] {
		if m, raw := readEvent(t, c); int64(m["seq"].(float64)) != want {
			t.Fatalf("replay: got %s, want seq %d", raw, want)
		}
	}
	live := publish(e, "call_A", app.EventIVRDTMFSent, map[string]any{"digits": "3", "step_id": "press3"})
	if m, raw := readEvent(t, c); int64(m["seq"].(float64)) != live.Seq || m["type"] != "ivr_dtmf_sent" {
		t.Fatalf("live: got %s, want seq %d", raw, live.Seq)
	}
}

// TestWSSinceNoGapNoDuplicate connects with since=0 while events are being published: every
// event arrives exactly once and in order, across the replay/live boundary.
func TestWSSinceNoGapNoDuplicate(t *testing.T) {
	e := newEnv(t)
	const total = 400
	for range 100 {
		publish(e, "call_A", app.EventAudioClassified, map[string]any{"audio_type": "music"})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range total - 100 {
			publish(e, "call_A", app.EventAudioClassified, map[string]any{"audio_type": "music"})
		}
	}()
	c := mustDialWS(t, e, "since=0")
	var got []int64
	for len(got) < total {
		m, _ := readEvent(t, c)
		got = append(got, int64(m["seq"].(float64)))
	}
	<-done
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("seq %d follows %d: gap or duplicate at %d", got[i], got[i-1], i)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, msg, err := c.ReadMessage(); err == nil {
		t.Errorf("extra message after all events: %s", msg)
	}
}

func TestWSSlowClientIsDropped(t *testing.T) {
	e := newEnv(t, withWS(WSConfig{Buffer: 4, WriteTimeout: 300 * time.Millisecond}))
	c := mustDialWS(t, e, "")
	big := strings.Repeat("x", 64<<10)
	start := time.Now()
	for i := 0; e.bus.Dropped() == 0; i++ {
		if i >= 5000 || time.Since(start) > 20*time.Second {
			t.Fatalf("slow client never dropped after %d events", i)
		}
		publish(e, "call_A", app.EventTranscriptChunk, map[string]any{"text": big})
	}
	// The client now reads: it gets what was in flight, then the connection ends.
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code != websocket.ClosePolicyViolation {
			t.Errorf("closed with %d, want 1008", ce.Code)
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open after the drop: %v", err)
		}
		break
	}
	// A fresh client still works.
	c2 := mustDialWS(t, e, "")
	publish(e, "call_A", app.EventCallEnded, map[string]any{"reason": "done"})
	if m, raw := readEvent(t, c2); m["type"] != "call_ended" {
		t.Errorf("after drop: %s", raw)
	}
}

func TestWSAuth(t *testing.T) {
	e := newEnv(t, withToken(testToken))
	_, res, err := dialWS(t, e, "", nil)
	if err == nil || res == nil || res.StatusCode != 401 {
		t.Fatalf("no token: err %v, response %v", err, res)
	}
	_, res, err = dialWS(t, e, "token=nope", nil)
	if err == nil || res.StatusCode != 401 {
		t.Fatalf("bad token: err %v", err)
	}
	c := mustDialWS(t, e, "token="+url.QueryEscape(testToken))
	h := http.Header{"Authorization": {"Bearer " + testToken}}
	c2, _, err := dialWS(t, e, "", h)
	if err != nil {
		t.Fatalf("bearer header: %v", err)
	}
	publish(e, "call_A", app.EventCallStarted, nil)
	readEvent(t, c)
	readEvent(t, c2)
	if strings.Contains(e.logBuf.String(), testToken) {
		t.Error("token logged")
	}
}

func TestWSPingAndShutdown(t *testing.T) {
	done := make(chan struct{})
	e := newEnv(t, withWS(WSConfig{PingInterval: 40 * time.Millisecond}), withDone(done))
	c := mustDialWS(t, e, "")
	var pings atomic.Int32
	c.SetPingHandler(func(string) error {
		pings.Add(1)
		return c.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second))
	})
	go func() {
		time.Sleep(300 * time.Millisecond)
		close(done)
	}()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("shutdown: %v, want close 1001", err)
	}
	if pings.Load() < 3 {
		t.Errorf("got %d pings in 300 ms at a 40 ms interval", pings.Load())
	}
}

func TestWSRejectsForeignOrigin(t *testing.T) {
	e := newEnv(t)
	_, res, err := dialWS(t, e, "", http.Header{"Origin": {"http://evil.example"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: err %v", err)
	}
	if _, _, err := dialWS(t, e, "", http.Header{"Origin": {e.srv.URL}}); err != nil {
		t.Errorf("same origin refused: %v", err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
