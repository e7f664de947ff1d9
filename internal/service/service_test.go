package service

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/store"
)

// TestServeWiresAndShutsDown runs the real wiring on a loopback port with no Asterisk
// configured, so the simulated one is started: a call left open by a "previous run" is ended at
// start, the API answers, a demo call is placed and rings, and cancelling ends it and shuts down
// cleanly.
func TestServeWiresAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	log := slog.New(slog.DiscardHandler)

	// A previous run's database with a call still on hold.
	old, err := store.Open(context.Background(), cfg.DB, log)
	if err != nil {
		t.Fatal(err)
	}
	orphan := app.Call{Number: "+18005551234", Mode: app.ModeHoldSlayer, Status: app.StatusOnHold}
	if err := old.CreateCall(context.Background(), &orphan); err != nil {
		t.Fatal(err)
	}
	_ = old.Close()

	ctx, cancel := context.WithCancel(context.Background())
	svc, err := New(ctx, cfg, log, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- svc.Run(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	get := func(path string) (int, map[string]any) {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return res.StatusCode, m
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	// The ARI events socket connects in the background; readiness follows it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, m := get("/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz never became ready: %d %v", code, m)
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, m := get("/api/calls/" + orphan.ID)
	if code != 200 || m["status"] != "ended" || m["end_reason"] != "service_restart" {
		t.Errorf("orphaned call after restart: %d %v", code, m)
	}
	evs, err := svc.Store().ListEvents(ctx, orphan.ID, []app.EventType{app.EventCallEnded}, 0, 0)
	if err != nil || len(evs) != 1 || evs[0].Data["reason"] != "service_restart" {
		t.Errorf("orphaned call's timeline does not say it ended: %v %v", evs, err)
	}
	res, err := http.Post(base+"/api/calls/hold-slayer", "application/json", strings.NewReader(`{"number": "+18005550002"}`))
	if err != nil {
		t.Fatal(err)
	}
	var placed map[string]any
	_ = json.NewDecoder(res.Body).Decode(&placed)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("placing a demo call: %d %v, want 201", res.StatusCode, placed)
	}
	callID, _ := placed["call_id"].(string)
	for {
		_, m := get("/api/calls/" + callID)
		if m["status"] == "ringing" || m["status"] == "connected" {
			break
		}
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("demo call never rang: %v", m)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if filepath.Dir(cfg.DB) != dir {
		t.Errorf("db %s not under the data dir", cfg.DB)
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown did not finish")
	}
	svc.Close()
	st, err := store.Open(context.Background(), cfg.DB, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.GetCall(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != app.StatusEnded || c.EndReason != "shutdown" {
		t.Errorf("live call after shutdown: status %s reason %q, want ended/shutdown", c.Status, c.EndReason)
	}
}

// testConfig is the binary's default configuration rooted in dir.
func testConfig(dir string) Config {
	return Config{Listen: "127.0.0.1:0", DataDir: dir, DB: filepath.Join(dir, "holdslayer.db"),
		RecordingsDir: filepath.Join(dir, "recordings"), ARIApp: "holdslayer", DialTemplate: "PJSIP/{number}@trunk",
		MediaHost: "127.0.0.1", MaxCalls: 10, HomeCountry: "1", STTModel: "whisper-1", LiveCheck: true,
		ShutdownWaitMS: 5000}
}
