package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// The seed's example request for POST /api/calls/outbound.
const seedOutbound = `{
  "number": "+18005551234",
  "mode": "hold_slayer",
  "intent": "dispute Amazon charge from December 15th",
  "device": "sip_phone",
  "call_flow_id": "chase_bank_disputes",
  "services": {"recording": true, "transcription": true}
}`

func TestPlaceOutboundSeedExample(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/calls/outbound", seedOutbound).want(t, http.StatusCreated)
	id, _ := r.body["call_id"].(string)
	if !strings.HasPrefix(id, "call_") {
		t.Errorf("call_id = %q, want a call_ id", id)
	}
	if r.body["status"] != "trying" || r.body["number"] != "+18005551234" || r.body["mode"] != "hold_slayer" {
		t.Errorf("unexpected body: %s", r.raw)
	}
	if _, err := time.Parse(time.RFC3339, r.body["started_at"].(string)); err != nil {
		t.Errorf("started_at: %v", err)
	}
	got := e.calls.placed[0]
	want := app.CallRequest{Number: "+18005551234", Mode: app.ModeHoldSlayer,
		Intent: "dispute Amazon charge from December 15th", Device: "sip_phone",
		CallFlowID: "chase_bank_disputes", Services: app.Services{Recording: true, Transcription: true}}
	if got != want {
		t.Errorf("engine got %+v, want %+v", got, want)
	}
}

func TestPlaceHoldSlayerSeedExample(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/calls/hold-slayer", `{
	  "number": "+18005551234",
	  "intent": "dispute Amazon charge from December 15th",
	  "call_flow_id": "chase_bank_disputes",
	  "transfer_to": "sip_phone"
	}`).want(t, http.StatusCreated)
	if r.body["mode"] != "hold_slayer" || r.body["status"] != "trying" {
		t.Errorf("unexpected body: %s", r.raw)
	}
	got := e.calls.placed[0]
	if got.Mode != app.ModeHoldSlayer || got.Device != "sip_phone" || got.CallFlowID != "chase_bank_disputes" {
		t.Errorf("engine got %+v: transfer_to must become the device", got)
	}
}

func TestPlaceModes(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{"direct", "hold_slayer", "ai_assisted"} {
		r := e.do("POST", "/api/calls/outbound", map[string]any{"number": "+442071234567", "mode": m}).want(t, http.StatusCreated)
		if r.body["mode"] != m {
			t.Errorf("mode %s came back as %v", m, r.body["mode"])
		}
	}
}

func TestPlaceValidation(t *testing.T) {
	e := newEnv(t, withMaxBody(4096))
	cases := []struct {
		name, body string
		status     int
		fragments  []string
	}{
		{"malformed JSON", `{"number": "+18005551234",`, 400, []string{"malformed JSON"}},
		{"syntax error", `{"number": +1800}`, 400, []string{"malformed JSON"}},
		{"empty body", ``, 400, []string{"body is required"}},
		{"not an object", `["+18005551234"]`, 400, []string{"JSON object"}},
		{"wrong type number", `{"number": 18005551234}`, 400, []string{`"number"`, "string"}},
		{"wrong type services", `{"number": "+18005551234", "services": {"recording": "yes"}}`, 400, []string{"services.recording", "boolean"}},
		{"unknown field", `{"number": "+18005551234", "numbr": "x"}`, 400, []string{"unknown field", "numbr"}},
		{"unknown mode", `{"number": "+18005551234", "mode": "teleport"}`, 400, []string{"unknown mode", "teleport"}},
		{"missing number", `{"mode": "direct"}`, 400, []string{`"number"`, "required"}},
		{"no plus", `{"number": "18005551234"}`, 400, []string{"E.164", "18005551234"}},
		{"letters", `{"number": "+1800FLOWERS"}`, 400, []string{"E.164"}},
		{"leading zero", `{"number": "+0800123456"}`, 400, []string{"E.164"}},
		{"too short", `{"number": "+12345"}`, 400, []string{"E.164"}},
		{"too long", `{"number": "+1234567890123456"}`, 400, []string{"E.164"}},
		{"trailing data", `{"number": "+18005551234"} {}`, 400, []string{"after the JSON object"}},
		{"too large", `{"number": "+18005551234", "intent": "` + strings.Repeat("x", 5000) + `"}`, 413, []string{"too large", "4096"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.with(t).do("POST", "/api/calls/outbound", tc.body).wantError(t, tc.status, tc.fragments...)
		})
	}
	if len(e.calls.placed) != 0 {
		t.Errorf("invalid requests reached the engine: %+v", e.calls.placed)
	}
	e.do("POST", "/api/calls/hold-slayer", `{"number": "555-1234"}`).wantError(t, 400, "E.164")
	e.do("POST", "/api/calls/hold-slayer", `{"number": "+18005551234", "mode": "direct"}`).wantError(t, 400, "unknown field", "mode")
}

func TestNoBackendRefusesCalls(t *testing.T) {
	e := newEnv(t, withNoBackend())
	r := e.do("POST", "/api/calls/outbound", seedOutbound)
	r.want(t, http.StatusServiceUnavailable)
	if r.detail() != "no telephony backend connected" {
		t.Errorf("detail = %q", r.detail())
	}
	e.do("POST", "/api/calls/hold-slayer", `{"number": "+18005551234"}`).wantError(t, 503, "no telephony backend connected")
	e.do("GET", "/api/calls", nil).want(t, 200)
	e.do("GET", "/api/calls/call_nothere", nil).wantError(t, 404, "call not found", "call_nothere")
	r = e.do("GET", "/readyz", nil).want(t, 503)
	checks := r.body["checks"].(map[string]any)
	if checks["database"] != "ok" || !strings.Contains(checks["telephony"].(string), "no telephony backend") {
		t.Errorf("readyz checks = %v", checks)
	}
}

func TestEngineErrorsMapToStatuses(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		err    error
		status int
		detail string
	}{
		{fmt.Errorf("premium-rate numbers are refused: +19005551234: %w", app.ErrForbidden), 403, "premium-rate numbers are refused: +19005551234"},
		{fmt.Errorf("device not found: desk: %w", app.ErrInvalid), 400, "device not found: desk"},
		{fmt.Errorf("too many calls: limit is 10: %w", app.ErrUnavailable), 503, "too many calls: limit is 10"},
		{fmt.Errorf("call flow not found: nope: %w", app.ErrNotFound), 404, "call flow not found: nope"},
		{fmt.Errorf("number already being called: %w", app.ErrConflict), 409, "number already being called"},
		{errors.New("database exploded at /secret/path/x.db"), 500, "internal server error"},
	}
	for _, tc := range cases {
		e.calls.mu.Lock()
		e.calls.fail = tc.err
		e.calls.mu.Unlock()
		r := e.do("POST", "/api/calls/outbound", `{"number": "+18005551234"}`).want(t, tc.status)
		if r.detail() != tc.detail {
			t.Errorf("%v: detail = %q, want %q", tc.err, r.detail(), tc.detail)
		}
	}
	if !strings.Contains(e.logBuf.String(), "database exploded at /secret/path/x.db") {
		t.Error("the cause of a 500 was not logged")
	}
}

func TestGetCallSeedShape(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/api/calls/outbound", seedOutbound).want(t, 201).body["call_id"].(string)
	start := time.Now().Add(-847 * time.Second)
	wait := 300.0
	e.calls.set(t, id, func(c *app.Call) {
		c.StartedAt = start
		c.Status = app.StatusOnHold
		c.HoldSeconds = 780.2
		c.AudioType = "music"
		c.TranscriptExcerpt = "...your call is important to us..."
		c.EstimatedWaitSeconds = &wait
	})
	base := time.Unix(1706000000, 0)
	for i, cl := range []struct {
		typ  string
		conf float64
		at   int
	}{{"ringing", 0.95, 0}, {"ivr_prompt", 0.88, 3}, {"music", 0.92, 10}} {
		e.bus.Publish(context.Background(), app.Event{Type: app.EventAudioClassified, CallID: id,
			Timestamp: base.Add(time.Duration(cl.at) * time.Second),
			Data:      map[string]any{"audio_type": cl.typ, "confidence": cl.conf, "features": map[string]any{"i": i}}})
	}
	// An event of another type must not appear in the classification history.
	e.bus.Publish(context.Background(), app.Event{Type: app.EventHoldDetected, CallID: id, Timestamp: base,
		Data: map[string]any{"audio_type": "music", "confidence": 0.9}})

	r := e.do("GET", "/api/calls/"+id, nil).want(t, 200)
	b := r.body
	if b["call_id"] != id || b["status"] != "on_hold" || b["number"] != "+18005551234" || b["mode"] != "hold_slayer" {
		t.Errorf("identity fields wrong: %s", r.raw)
	}
	if d := b["duration"].(float64); d < 846 || d > 849 {
		t.Errorf("duration = %v, want about 847", d)
	}
	if b["hold_time"].(float64) != 780 || b["audio_type"] != "music" ||
		b["transcript_excerpt"] != "...your call is important to us..." || b["estimated_wait"].(float64) != 300 {
		t.Errorf("hold fields wrong: %s", r.raw)
	}
	svc := b["services"].(map[string]any)
	if svc["recording"] != true || svc["transcription"] != true {
		t.Errorf("services = %v", svc)
	}
	hist := b["classification_history"].([]any)
	want := []struct {
		ts   float64
		typ  string
		conf float64
	}{{1706000000, "ringing", 0.95}, {1706000003, "ivr_prompt", 0.88}, {1706000010, "music", 0.92}}
	if len(hist) != len(want) {
		t.Fatalf("classification_history = %v", hist)
	}
	for i, w := range want {
		h := hist[i].(map[string]any)
		if h["timestamp"] != w.ts || h["type"] != w.typ || h["confidence"] != w.conf {
			t.Errorf("history[%d] = %v, want %+v", i, h, w)
		}
	}
}

func TestListActiveCalls(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/calls", nil).want(t, 200)
	if r.body["total"].(float64) != 0 || len(r.body["calls"].([]any)) != 0 {
		t.Errorf("empty list = %s", r.raw)
	}
	a := e.do("POST", "/api/calls/outbound", `{"number": "+18005551234", "mode": "hold_slayer"}`).want(t, 201).body["call_id"].(string)
	b := e.do("POST", "/api/calls/outbound", `{"number": "+18009876543", "mode": "direct"}`).want(t, 201).body["call_id"].(string)
	e.calls.set(t, a, func(c *app.Call) { c.Status = app.StatusOnHold })
	e.calls.set(t, b, func(c *app.Call) { c.Status = app.StatusConnected })
	r = e.do("GET", "/api/calls", nil).want(t, 200)
	if r.body["total"].(float64) != 2 {
		t.Fatalf("total = %v", r.body["total"])
	}
	seen := map[string]string{}
	for _, c := range r.body["calls"].([]any) {
		m := c.(map[string]any)
		seen[m["call_id"].(string)] = m["status"].(string) + " " + m["number"].(string)
		if _, ok := m["duration"].(float64); !ok {
			t.Errorf("call without duration: %v", m)
		}
	}
	if seen[a] != "on_hold +18005551234" || seen[b] != "connected +18009876543" {
		t.Errorf("calls = %v", seen)
	}
	e.do("POST", "/api/calls/"+a+"/hangup", nil).want(t, 200)
	if r := e.do("GET", "/api/calls", nil).want(t, 200); r.body["total"].(float64) != 1 {
		t.Errorf("after hangup total = %v", r.body["total"])
	}
}

func TestHangup(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/api/calls/outbound", `{"number": "+18005551234"}`).want(t, 201).body["call_id"].(string)
	r := e.do("POST", "/api/calls/"+id+"/hangup", nil).want(t, 200)
	if r.body["status"] != "ended" || r.body["end_reason"] != "user_hangup" {
		t.Errorf("after hangup: %s", r.raw)
	}
	e.do("POST", "/api/calls/"+id+"/hangup", nil).wantError(t, 409, "already ended", id)
	e.do("POST", "/api/calls/call_missing/hangup", nil).wantError(t, 404, "call not found", "call_missing")
}

func TestTransferAndDTMF(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/api/calls/outbound", `{"number": "+18005551234"}`).want(t, 201).body["call_id"].(string)

	r := e.do("POST", "/api/calls/"+id+"/transfer", `{"device": "sip_phone"}`).want(t, 202)
	if r.body["device"] != "sip_phone" || r.body["call_id"] != id {
		t.Errorf("transfer response %s", r.raw)
	}
	e.do("POST", "/api/calls/"+id+"/transfer", `{"device": 7}`).wantError(t, 400, `"device"`, "string")
	e.do("POST", "/api/calls/call_x/transfer", `{"device": "sip_phone"}`).wantError(t, 404, "call_x")

	e.do("POST", "/api/calls/"+id+"/dtmf", `{"digits": "1,2*#ad"}`).want(t, 202)
	e.do("POST", "/api/calls/"+id+"/dtmf", `{"digits": "12x4"}`).wantError(t, 400, "invalid DTMF", `'X'`, "position 2")
	e.do("POST", "/api/calls/"+id+"/dtmf", `{"digits": ""}`).wantError(t, 400, `"digits"`, "required")
	e.do("POST", "/api/calls/"+id+"/dtmf", `{"digits": "`+strings.Repeat("1", 65)+`"}`).wantError(t, 400, "too long")
	e.do("POST", "/api/calls/call_x/dtmf", `{"digits": "1"}`).wantError(t, 404, "call_x")

	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	if len(e.calls.transfers) != 1 || e.calls.transfers[0] != id+"->sip_phone" {
		t.Errorf("transfers = %v", e.calls.transfers)
	}
	if len(e.calls.dtmf) != 1 || e.calls.dtmf[0] != id+":1,2*#AD" {
		t.Errorf("dtmf = %v", e.calls.dtmf)
	}
}
