package ari

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// TestRealAsterisk runs against a real Asterisk 22 when HOLDSLAYER_TEST_ARI_URL is set (with
// _USER, _PASSWORD and optionally _ENDPOINT, default Local/s@company-ivr, the asterisk-config
// test company): originate, answer, bridge, listen for the IVR prompt, DTMF, tear down.
func TestRealAsterisk(t *testing.T) {
	url := os.Getenv("HOLDSLAYER_TEST_ARI_URL")
	if url == "" {
		t.Skip("HOLDSLAYER_TEST_ARI_URL not set: skipping the real-Asterisk test (set it, _USER and _PASSWORD to run)")
	}
	endpoint := os.Getenv("HOLDSLAYER_TEST_ARI_ENDPOINT")
	if endpoint == "" {
		endpoint = "Local/s@company-ivr"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, err := New(ctx, Options{URL: url, User: os.Getenv("HOLDSLAYER_TEST_ARI_USER"),
		Password: os.Getenv("HOLDSLAYER_TEST_ARI_PASSWORD"), App: "holdslayer", Log: slog.Default()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	waitFor(t, "ari ready", a.Ready)
	sess, err := a.Open(ctx, "real-asterisk-test")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close(ctx)
	ch, err := sess.Originate(ctx, endpoint, app.OriginateOptions{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	next(t, sess, app.PBXAnswered, ch)
	if err := sess.Answer(ctx, ch); err != nil {
		t.Fatal(err)
	}
	br, err := sess.CreateBridge(ctx, app.BridgeMixing)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.AddToBridge(ctx, br, ch); err != nil {
		t.Fatal(err)
	}
	src, err := sess.Listen(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	loud := 0
	deadline := time.After(20 * time.Second)
	for loud < 50 {
		select {
		case f := <-src.Frames():
			if !f.Filled && rms(f.Samples) > 300 {
				loud++
			}
		case <-deadline:
			t.Fatalf("only %d loud frames from the IVR prompt", loud)
		}
	}
	if err := sess.SendDTMF(ctx, ch, "3"); err != nil {
		t.Fatal(err)
	}
	if err := sess.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
