package main

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

// TestServeWiresAndShutsDown runs the real wiring on a loopback port: a call left open by a
// "previous run" is ended at start, the API answers, and cancelling shuts down cleanly.
func TestServeWiresAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	cfg, err := load(t, []string{"-data-dir", dir, "-log-level", "error"}, nil)
	if err != nil {
		t.Fatal(err)
	}
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
	svc, err := wire(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- svc.run(ctx, ln) }()
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
	if code, m := get("/readyz"); code != 503 || m["checks"].(map[string]any)["database"] != "ok" {
		t.Errorf("readyz %d %v (no telephony yet, database ok)", code, m)
	}
	code, m := get("/api/calls/" + orphan.ID)
	if code != 200 || m["status"] != "ended" || m["end_reason"] != "service_restart" {
		t.Errorf("orphaned call after restart: %d %v", code, m)
	}
	res, err := http.Post(base+"/api/calls/outbound", "application/json", strings.NewReader(`{"number": "+18005551234"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("placing a call without a backend: %d, want 503", res.StatusCode)
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
}
