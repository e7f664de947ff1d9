package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app/clock"
)

// TestHoldSlayerRealAsterisk is TestHoldSlayer against a real Asterisk 22 configured with
// asterisk-config/ (HOLDSLAYER_TEST_ARI_URL, _USER, _PASSWORD; HOLDSLAYER_TEST_MEDIA_HOST if
// Asterisk is not on this host): the company is the company-ivr context (Local/s@company-ivr:
// menu, key 3, hold music, then hello-world and Echo as the "agent"), the user's phone is
// Local/s@user-phone. It runs in real time (about a minute).
func TestHoldSlayerRealAsterisk(t *testing.T) {
	url := os.Getenv("HOLDSLAYER_TEST_ARI_URL")
	if url == "" {
		t.Skip("no real Asterisk: set HOLDSLAYER_TEST_ARI_URL (and HOLDSLAYER_TEST_ARI_USER, HOLDSLAYER_TEST_ARI_PASSWORD) " +
			"to run the hold_slayer call against Asterisk 22 with asterisk-config/")
	}
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	})
	e := &env{t: t, clk: clock.Real{}, dir: t.TempDir(), logs: logs}
	svc, err := startService(context.Background(), serviceConfig{
		DB: filepath.Join(e.dir, "holdslayer.db"), RecordingsDir: filepath.Join(e.dir, "recordings"),
		ARIURL: url, ARIUser: os.Getenv("HOLDSLAYER_TEST_ARI_USER"), ARIPassword: os.Getenv("HOLDSLAYER_TEST_ARI_PASSWORD"),
		MediaHost: os.Getenv("HOLDSLAYER_TEST_MEDIA_HOST"),
		// asterisk-config's test company answers any number dialled into its context.
		DialTemplate: "Local/{number}@company-ivr",
		Clock:        e.clk, Log: e.log("service"),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, svc.URL())
	defer func() {
		c.close()
		if err := svc.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	c.waitReady(t, 30*time.Second)
	c.device(t, "Lab phone", "Local/s@user-phone", 10)
	twelve := 12.0
	flow := c.json(t, http.MethodPost, "/api/call-flows", map[string]any{
		"name": "company-ivr", "company": "Asterisk test company", "phone_number": "+18005550199",
		"steps": []map[string]any{
			{"id": "wait", "type": "WAIT", "timeout": 1.0, "next_step": "menu"},
			{"id": "menu", "type": "LISTEN", "timeout": twelve, "next_step": "press3"},
			{"id": "press3", "type": "DTMF", "dtmf": "3", "next_step": "hold"},
			{"id": "hold", "type": "HOLD", "next_step": "transfer"},
			{"id": "transfer", "type": "TRANSFER"},
		},
	}, http.StatusCreated)["id"].(string)
	ws := c.events(t, "")
	id := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": "+18005550199", "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	ws.wait(t, id, "ivr_dtmf_sent", time.Minute)
	ws.wait(t, id, "hold_detected", time.Minute)
	ws.wait(t, id, "transfer_complete", 2*time.Minute)
	// A Local channel goes straight to Up (no Ringing state, unlike a SIP trunk's 180), so
	// a real Asterisk reports no call_ringing here; everything else is as on the simulator.
	inOrder(t, ws.of(id), slices.DeleteFunc(slices.Clone(holdSlayerEvents), func(s string) bool { return s == "call_ringing" })...)
	c.waitStatus(t, id, 10*time.Second, "transferred")
	c.json(t, http.MethodPost, "/api/calls/"+id+"/hangup", nil, http.StatusOK)
	if got := c.call(t, id); got["status"] != "ended" || got["end_reason"] != "user_hangup" {
		t.Errorf("stored call: %v", got)
	}
}
