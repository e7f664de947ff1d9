package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/holdslayer/holdslayer/api"
	"github.com/holdslayer/holdslayer/api/mcpserver"
	"github.com/holdslayer/holdslayer/api/mcpserver/scripted"
	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/store"
)

// TestMCPStdio runs `holdslayer mcp` on pipes against a running service (the real API router
// over the scripted engine, on loopback with a token): start a hold_slayer call, wait for a
// person through the service's /ws/events, read the transcript, hang up.
func TestMCPStdio(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hs.db"), log)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()
	bus := app.NewBus(st, log)
	eng := scripted.New(st, bus, scripted.Options{Step: 10 * time.Millisecond})
	defer eng.Close()
	ts := httptest.NewServer(api.New(api.Config{Calls: eng, Store: st, Bus: bus, Token: "tok", Log: log}))
	defer ts.Close()
	defer ts.CloseClientConnections()

	cin, sout := io.Pipe() // server stdout -> client
	sin, cout := io.Pipe() // client -> server stdin
	env := map[string]string{"HOLDSLAYER_URL": ts.URL, "HOLDSLAYER_API_TOKEN": "tok", "HOLDSLAYER_DATA_DIR": t.TempDir()}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- mcpCommand(ctx, nil, lookup, sin, sout, &stderr)
		sout.Close()
	}()

	client := mcp.NewClient(&mcp.Implementation{Name: "desktop", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.IOTransport{Reader: cin, Writer: cout}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	callTool := func(name string, args map[string]any, out any) *mcp.CallToolResult {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		res, err := cs.CallTool(cctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if out != nil && !res.IsError {
			b, _ := json.Marshal(res.StructuredContent)
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("decode %s: %v", name, err)
			}
		}
		return res
	}

	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 13 {
		t.Fatalf("list tools: %d tools, err %v", len(tools.Tools), err)
	}
	var placed mcpserver.PlacedCall
	if res := callTool("start_hold_slayer", map[string]any{"number": "+18005551234"}, &placed); res.IsError {
		t.Fatalf("start_hold_slayer: %+v", res.Content)
	}
	var w mcpserver.WaitResult
	callTool("wait_for_call_event", map[string]any{"call_id": placed.CallID, "event_types": []string{"transfer_complete"}, "timeout_seconds": 15}, &w)
	if w.Outcome != "event" || w.Event == nil || w.Event.Type != "transfer_complete" || w.Status != "transferred" {
		t.Fatalf("wait = %+v", w)
	}
	var tr mcpserver.Transcript
	callTool("get_transcript", map[string]any{"call_id": placed.CallID}, &tr)
	if !strings.Contains(tr.Text, "this is Sarah") {
		t.Errorf("transcript = %q", tr.Text)
	}
	res := callTool("send_dtmf", map[string]any{"call_id": placed.CallID, "digits": "9z"}, nil)
	if !res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, `invalid DTMF character 'Z' at position 1`) {
		t.Errorf("bad dtmf result = %+v", res.Content)
	}
	var hung mcpserver.CallStatus
	callTool("hangup_call", map[string]any{"call_id": placed.CallID}, &hung)
	if hung.Status != "ended" {
		t.Errorf("after hangup: %+v", hung)
	}

	cs.Close()
	cout.Close()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit code %d, stderr: %s", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("holdslayer mcp did not exit when stdin closed")
	}
}

// TestMCPStdioWrongToken shows a refused token reaches the assistant as a tool error.
func TestMCPStdioWrongToken(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hs.db"), log)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()
	bus := app.NewBus(st, log)
	ts := httptest.NewServer(api.New(api.Config{Calls: app.NoBackend{Store: st}, Store: st, Bus: bus, Token: "tok", Log: log}))
	defer ts.Close()

	cin, sout := io.Pipe()
	sin, cout := io.Pipe()
	env := map[string]string{"HOLDSLAYER_API_TOKEN": "wrong", "HOLDSLAYER_DATA_DIR": t.TempDir()}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := make(chan int, 1)
	go func() {
		code <- mcpCommand(ctx, []string{"-url", ts.URL}, lookup, sin, sout, io.Discard)
		sout.Close()
	}()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "desktop", Version: "1"}, nil).Connect(ctx, &mcp.IOTransport{Reader: cin, Writer: cout}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_active_calls", Arguments: map[string]any{}})
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	if !res.IsError || res.Content[0].(*mcp.TextContent).Text != "invalid API token" {
		t.Errorf("result = %+v", res.Content)
	}
	cs.Close()
	cout.Close()
	if c := <-code; c != 0 {
		t.Errorf("exit code %d", c)
	}
}
