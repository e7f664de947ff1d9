package ari

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	ariv5 "github.com/CyCoreSystems/ari/v5"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
)

// traceDir holds events recorded from a real Asterisk 22 (copied from the shared ari-traces).
const traceDir = "testdata/traces"

// traceEvents decodes every WebSocket event of a recorded trace.
func traceEvents(t *testing.T, name string) []ariv5.Event {
	t.Helper()
	f, err := os.Open(filepath.Join(traceDir, name+".jsonl"))
	if err != nil {
		t.Fatalf("trace %s: %v", name, err)
	}
	defer f.Close()
	var out []ariv5.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Kind  string          `json:"kind"`
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if line.Kind != "event" {
			continue
		}
		ev, err := ariv5.DecodeEvent(line.Event)
		if err != nil {
			t.Fatalf("decode %s: %v", line.Event, err)
		}
		out = append(out, ev)
	}
	return out
}

// bareAdapter is an adapter with routing tables but no connection, for feeding events by hand.
func bareAdapter() *Adapter {
	return &Adapter{
		log: slog.New(slog.DiscardHandler), clk: clock.Real{},
		opts:     Options{RequestTimeout: time.Second},
		inbound:  make(chan app.InboundCall, 4),
		sessions: map[*Session]struct{}{}, channels: map[string]*Session{},
		bridges: map[string]*Session{}, records: map[string]*Session{},
	}
}

// collect reads events until none arrives for a moment.
func collect(s *Session) []app.PBXEvent {
	var out []app.PBXEvent
	for {
		select {
		case ev := <-s.Events():
			out = append(out, ev)
		case <-time.After(100 * time.Millisecond):
			return out
		}
	}
}

// stopPump ends a session built without REST access.
func stopPump(s *Session) {
	close(s.done)
	<-s.pumpDone
}

func TestTraceTranslation(t *testing.T) {
	type want struct {
		kind   app.PBXEventKind
		ch     string
		cause  int
		reason string
	}
	tests := []struct {
		trace string
		legs  []string
		want  []want
	}{
		{"e2-remote-hangup", []string{"company-e2-97155", "user-e2-97155"}, []want{
			{app.PBXAnswered, "company-e2-97155", 0, ""},
			{app.PBXAnswered, "user-e2-97155", 0, ""},
			{app.PBXHangup, "company-e2-97155", 16, ReasonNormal},
			{app.PBXHangup, "user-e2-97155", 16, ReasonNormal},
		}},
		{"h-restart", []string{"company-h-97269"}, []want{
			{app.PBXAnswered, "company-h-97269", 0, ""},
			{app.PBXHangup, "company-h-97269", 16, ReasonAsteriskRestart},
		}},
		{"g-errors", []string{"1795497238.67", "nsl-97238"}, []want{
			{app.PBXHangup, "1795497238.67", 0, ReasonUnknown}, // originate into a missing context
			{app.PBXAnswered, "nsl-97238", 0, ""},
			{app.PBXHangup, "nsl-97238", 17, ReasonBusy}, // DELETE reason=busy
		}},
		{"d-dtmf-hold", []string{"company-d-97075"}, []want{ // DTMF is seen on the ;2 half only
			{app.PBXAnswered, "company-d-97075", 0, ""},
			{app.PBXHangup, "company-d-97075", 16, ReasonNormal},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.trace, func(t *testing.T) {
			a := bareAdapter()
			s := newSession(a, "call-"+tc.trace)
			defer stopPump(s)
			for _, id := range tc.legs {
				s.addChannel(id, kindOriginated, nil)
			}
			for _, ev := range traceEvents(t, tc.trace) {
				a.dispatch(ev)
			}
			got := collect(s)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d events %+v, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Kind != w.kind || g.ChannelID != w.ch || g.Cause != w.cause || g.Reason != w.reason {
					t.Errorf("event %d = %+v, want %+v", i, g, w)
				}
			}
			if len(a.channels) != 0 {
				t.Errorf("routes left after hangups: %v", a.channels)
			}
		})
	}
}

func TestTraceSnoopEndsMediaNotCall(t *testing.T) {
	a := bareAdapter()
	s := newSession(a, "call-c")
	defer stopPump(s)
	var ended atomic.Int32
	s.addChannel("1795497061.32", kindSnoop, func() { ended.Add(1) })
	s.addChannel("1795497061.33", kindMedia, func() { ended.Add(1) })
	for _, ev := range traceEvents(t, "c-snoop-external-media") {
		a.dispatch(ev)
	}
	if got := collect(s); len(got) != 0 {
		t.Errorf("media plumbing produced call events: %+v", got)
	}
	if n := ended.Load(); n != 2 {
		t.Errorf("onGone ran %d times, want 2 (snoop by StasisEnd, media by ChannelDestroyed)", n)
	}
}

func TestTraceRecordingEvents(t *testing.T) {
	a := bareAdapter()
	s := newSession(a, "call-f")
	defer stopPump(s)
	for _, n := range []string{"rec-bridge-97165", "rec-inbridge-97165"} {
		a.trackRecording(n, s)
	}
	for _, ev := range traceEvents(t, "f-recording") {
		a.dispatch(ev)
	}
	got := collect(s)
	if len(got) != 2 || got[0].Kind != app.PBXRecordingFailed || got[0].Name != "rec-inbridge-97165" ||
		got[1].Kind != app.PBXRecordingFinished || got[1].Duration != 5*time.Second {
		t.Errorf("recording events %+v", got)
	}
}

func TestInboundDialOnly(t *testing.T) {
	a := bareAdapter()
	mk := func(id string, args ...string) *ariv5.StasisStart {
		return &ariv5.StasisStart{Args: args, Channel: ariv5.ChannelData{ID: id, Caller: &ariv5.CallerID{Number: "201"}}}
	}
	a.dispatch(mk("in-1", "dial", "+18005551234", "flow-1"))
	a.dispatch(mk("in-2", "company")) // not a dial entry
	select {
	case c := <-a.Inbound():
		if c.ChannelID != "in-1" || len(c.Args) != 3 || c.Args[1] != "+18005551234" || c.CallerID != "201" {
			t.Errorf("inbound %+v", c)
		}
	default:
		t.Fatal("no inbound call")
	}
	select {
	case c := <-a.Inbound():
		t.Errorf("unexpected inbound %+v", c)
	default:
	}
}
