package mcpserver_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/holdslayer/holdslayer/api/mcpserver"
	"github.com/holdslayer/holdslayer/api/mcpserver/scripted"
)

var wantTools = []string{"place_call", "start_hold_slayer", "get_call_status", "list_active_calls",
	"hangup_call", "transfer_call", "send_dtmf", "list_call_flows", "get_call_flow", "create_call_flow",
	"list_devices", "get_transcript", "wait_for_call_event"}

// holdSlayerFlow is the story every transport must carry: list the tools, start a
// hold_slayer call, wait for a person (with progress while the gated script advances), read
// the transcript and timeline, hang up.
func holdSlayerFlow(t *testing.T, e *env, cs *mcp.ClientSession, progress *progressLog) {
	t.Helper()
	ctx := context.Background()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("list tools: %v", err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
		if tool.Description == "" || tool.InputSchema == nil {
			t.Errorf("tool %s lacks a description or input schema", tool.Name)
		}
	}
	for _, want := range wantTools {
		if !slices.Contains(names, want) {
			t.Errorf("tool %s missing; have %v", want, names)
		}
	}

	var placed mcpserver.PlacedCall
	call(t, cs, "start_hold_slayer", map[string]any{"number": "+18005551234", "intent": "dispute a charge", "transfer_to": "Desk phone"}, &placed)
	if !strings.HasPrefix(placed.CallID, "call_") || placed.Mode != "hold_slayer" || placed.Status != "trying" {
		t.Fatalf("placed = %+v", placed)
	}

	// Wait for a person while the script advances stage by stage behind our back.
	type waited struct {
		res mcpserver.WaitResult
	}
	done := make(chan waited, 1)
	go func() {
		var r mcpserver.WaitResult
		p := &mcp.CallToolParams{Name: "wait_for_call_event", Arguments: map[string]any{
			"call_id": placed.CallID, "event_types": []string{"human_detected"}, "timeout_seconds": 20}}
		p.SetProgressToken("wait-1")
		callWith(t, cs, p, &r)
		done <- waited{r}
	}()
	for _, stage := range scripted.Stages[:3] {
		time.Sleep(80 * time.Millisecond) // let progress ticks and status events reach the client
		_ = stage
		e.release()
	}
	var w waited
	select {
	case w = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("wait_for_call_event did not return after human_detected")
	}
	if w.res.Outcome != "event" || w.res.Event == nil || w.res.Event.Type != "human_detected" {
		t.Fatalf("wait result = %+v", w.res)
	}
	if w.res.Status != "human_detected" || w.res.LastSeq <= 0 {
		t.Errorf("wait result status %q last_seq %d", w.res.Status, w.res.LastSeq)
	}
	if conf, _ := w.res.Event.Data["confidence"].(float64); conf <= 0.5 {
		t.Errorf("human_detected confidence = %v", w.res.Event.Data["confidence"])
	}
	if progress != nil {
		msgs := progress.all()
		joined := strings.Join(msgs, " | ")
		if !strings.Contains(joined, "call is on_hold") || !strings.Contains(joined, "call is navigating") {
			t.Errorf("progress notifications did not follow the call: %q", msgs)
		}
	}

	// The same event again returns at once: it is already in the call's past.
	var again mcpserver.WaitResult
	call(t, cs, "wait_for_call_event", map[string]any{"call_id": placed.CallID, "timeout_seconds": 5}, &again)
	if again.Outcome != "event" || again.Event.Seq != w.res.Event.Seq {
		t.Errorf("second wait = %+v, want the same human_detected (seq %d)", again, w.res.Event.Seq)
	}

	var status mcpserver.CallStatus
	call(t, cs, "get_call_status", map[string]any{"call_id": placed.CallID}, &status)
	if status.Status != "human_detected" || status.AudioType != "speech" || status.EstimatedWait == nil || *status.EstimatedWait != 240 {
		t.Errorf("status = %+v", status)
	}
	if len(status.ClassificationHistory) < 4 {
		t.Errorf("classification history has %d points", len(status.ClassificationHistory))
	}

	var tr mcpserver.Transcript
	call(t, cs, "get_transcript", map[string]any{"call_id": placed.CallID}, &tr)
	if len(tr.Segments) != 3 || !strings.Contains(tr.Text, "agent: Hi, this is Sarah") {
		t.Errorf("transcript = %+v", tr)
	}
	res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "holdslayer://calls/" + placed.CallID + "/transcript"})
	if err != nil {
		t.Fatalf("read transcript resource: %v", err)
	}
	if len(res.Contents) != 1 || !strings.Contains(res.Contents[0].Text, "Your call is important to us") {
		t.Errorf("transcript resource = %+v", res.Contents)
	}
	res, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "holdslayer://calls/" + placed.CallID + "/timeline"})
	if err != nil {
		t.Fatalf("read timeline resource: %v", err)
	}
	for _, want := range []string{`"ivr_dtmf_sent"`, `"hold_detected"`, `"human_detected"`} {
		if !strings.Contains(res.Contents[0].Text, want) {
			t.Errorf("timeline resource lacks %s", want)
		}
	}

	var active mcpserver.ActiveCalls
	call(t, cs, "list_active_calls", nil, &active)
	if active.Total != 1 || active.Calls[0].CallID != placed.CallID {
		t.Errorf("active = %+v", active)
	}
	var hung mcpserver.CallStatus
	call(t, cs, "hangup_call", map[string]any{"call_id": placed.CallID}, &hung)
	if hung.Status != "ended" || hung.EndReason != "user_hangup" {
		t.Errorf("after hangup = %+v", hung)
	}
	if got := toolError(t, cs, "hangup_call", map[string]any{"call_id": placed.CallID}); got != "call already ended: "+placed.CallID+" (status ended)" {
		t.Errorf("second hangup error = %q", got)
	}
}

func TestStreamableHTTP(t *testing.T) {
	e := newEnv(t, true)
	p := &progressLog{}
	cs := connect(t, &mcp.StreamableClientTransport{Endpoint: e.http.URL + "/mcp", HTTPClient: e.httpClient()}, p)
	holdSlayerFlow(t, e, cs, p)
}

func TestSSE(t *testing.T) {
	e := newEnv(t, true)
	p := &progressLog{}
	cs := connect(t, &mcp.SSEClientTransport{Endpoint: e.http.URL + "/mcp/sse", HTTPClient: e.httpClient()}, p)
	holdSlayerFlow(t, e, cs, p)
}

func TestInMemory(t *testing.T) {
	e := newEnv(t, true)
	st, ct := mcp.NewInMemoryTransports()
	ctx, cancel := context.WithCancel(context.Background())
	ss, err := e.mcp.Connect(ctx, st, nil)
	if err != nil {
		t.Fatalf("server connect: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = ss.Close() })
	p := &progressLog{}
	holdSlayerFlow(t, e, connect(t, ct, p), p)
}

// TestToolErrors checks bad arguments come back as tool errors with the REST API's words.
func TestToolErrors(t *testing.T) {
	e := newEnv(t, false)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := e.mcp.Connect(context.Background(), st, nil)
	if err != nil {
		t.Fatalf("server connect: %v", err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs := connect(t, ct, nil)

	cases := []struct {
		tool string
		args map[string]any
		want string // exact, or prefix when ending in "..."
	}{
		{"start_hold_slayer", map[string]any{"number": "18005551234"},
			`invalid E.164 number "18005551234" in field "number": expected + then 7 to 15 digits, e.g. +18005551234`},
		{"place_call", map[string]any{"number": "+18005551234", "mode": "turbo"},
			`unknown mode "turbo": must be one of direct, hold_slayer, ai_assisted`},
		{"place_call", map[string]any{}, `validating "arguments": ...`},
		{"get_call_status", map[string]any{"call_id": "call_nope"}, `call not found: call_nope`},
		{"send_dtmf", map[string]any{"call_id": "call_nope", "digits": "12x"},
			`invalid DTMF character 'X' at position 2 in field "digits": allowed are 0-9 * # A-D and , (pause)`},
		{"wait_for_call_event", map[string]any{"call_id": "call_nope"}, `call not found: call_nope`},
		{"wait_for_call_event", map[string]any{"call_id": "x", "timeout_seconds": 99999},
			`field "timeout_seconds" must be between 1 and 3600, got 99999`},
		{"get_call_flow", map[string]any{"flow_id": "nope"}, `call flow not found: nope`},
		{"create_call_flow", map[string]any{"name": "Bank", "steps": []map[string]any{{"id": "a", "type": "DTMF", "dtmf": "9", "next_step": "b"}}},
			`step "a" has next_step "b", which is not a step of this flow`},
	}
	for _, c := range cases {
		got := toolError(t, cs, c.tool, c.args)
		if prefix, ok := strings.CutSuffix(c.want, "..."); ok {
			if !strings.HasPrefix(got, prefix) {
				t.Errorf("%s(%v) error = %q, want prefix %q", c.tool, c.args, got, prefix)
			}
		} else if got != c.want {
			t.Errorf("%s(%v) error = %q, want %q", c.tool, c.args, got, c.want)
		}
	}

	// A call that ends before the awaited event ends the wait as call_ended.
	var placed mcpserver.PlacedCall
	call(t, cs, "place_call", map[string]any{"number": "+18005550000", "mode": "direct"}, &placed)
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = e.eng.Hangup(context.Background(), placed.CallID)
	}()
	var w mcpserver.WaitResult
	call(t, cs, "wait_for_call_event", map[string]any{"call_id": placed.CallID, "event_types": []string{"transfer_failed"}, "timeout_seconds": 10}, &w)
	if w.Outcome != "call_ended" || w.Event.Type != "call_ended" || w.Status != "ended" {
		t.Errorf("wait on a hung-up call = %+v", w)
	}
	// A timeout is an answer, not an error.
	call(t, cs, "place_call", map[string]any{"number": "+18005550001"}, &placed)
	w = mcpserver.WaitResult{}
	call(t, cs, "wait_for_call_event", map[string]any{"call_id": placed.CallID, "event_types": []string{"recording_started"}, "timeout_seconds": 1}, &w)
	if w.Outcome != "timeout" || w.Event != nil || w.WaitedSeconds < 1 {
		t.Errorf("wait with timeout = %+v", w)
	}

	// A flow round trip.
	var flow mcpserver.FlowView
	call(t, cs, "create_call_flow", map[string]any{"name": "Scripted Bank Disputes", "company": "Scripted Bank", "phone_number": "+18005551234",
		"steps": []map[string]any{{"id": "menu", "type": "LISTEN", "next_step": "press3"}, {"id": "press3", "type": "DTMF", "dtmf": "3", "next_step": "hold"}, {"id": "hold", "type": "HOLD"}}}, &flow)
	if flow.ID != "scripted_bank_disputes" || flow.StepCount != 3 {
		t.Errorf("created flow = %+v", flow)
	}
	var flows mcpserver.FlowList
	call(t, cs, "list_call_flows", map[string]any{"company": "Scripted Bank"}, &flows)
	if flows.Total != 1 || flows.Flows[0].ID != flow.ID {
		t.Errorf("flows = %+v", flows)
	}
	var got mcpserver.FlowView
	call(t, cs, "get_call_flow", map[string]any{"flow_id": flow.ID}, &got)
	if len(got.Steps) != 3 || got.Steps[1].DTMF != "3" {
		t.Errorf("flow steps = %+v", got.Steps)
	}
	var devs mcpserver.DeviceList
	call(t, cs, "list_devices", nil, &devs)
	if devs.Devices == nil {
		t.Error("devices is null, want []")
	}
	if _, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "holdslayer://calls/call_nope/transcript"}); err == nil {
		t.Error("reading the transcript of an unknown call succeeded")
	}
}

// TestAuthAndRebinding checks the mount is closed without the token and that the SDK's
// DNS-rebinding protection answers a foreign Host on loopback with 403.
func TestAuthAndRebinding(t *testing.T) {
	e := newEnv(t, false)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	plain := &http.Client{Transport: tr}
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
	for _, c := range []struct {
		name, path, auth, host string
		want                   int
	}{
		{"no token", "/mcp", "", "", http.StatusUnauthorized},
		{"wrong token", "/mcp", "Bearer nope", "", http.StatusUnauthorized},
		{"no token sse", "/mcp/sse", "", "", http.StatusUnauthorized},
		{"rebinding", "/mcp", "Bearer " + testToken, "evil.example:80", http.StatusForbidden},
		{"ok", "/mcp", "Bearer " + testToken, "", http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.http.URL+c.path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		if c.host != "" {
			req.Host = c.host
		}
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d (%s)", c.name, resp.StatusCode, c.want, b)
		}
	}
}

func TestRequireBearer(t *testing.T) {
	h := mcpserver.RequireBearer("tok", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for _, c := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer no", 401}, {"Basic tok", 401}, {"Bearer tok", http.StatusTeapot}, {"bearer tok", http.StatusTeapot}} {
		req, _ := http.NewRequest(http.MethodGet, "http://x/mcp", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, req)
		if rec.status != c.want {
			t.Errorf("auth %q: status %d, want %d", c.auth, rec.status, c.want)
		}
	}
}

type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) WriteHeader(code int)        { r.status = code }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
