package e2e

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/store"
)

// testTmp holds the built binary and the shared sounds cache for the package run.
var (
	testTmp  string
	binPath  string
	binBuild error
)

// TestMain builds the holdslayer binary once, so TestBinary runs exactly what ships.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "holdslayer-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		os.Exit(1)
	}
	testTmp = dir
	binPath = filepath.Join(dir, "holdslayer")
	out, err := exec.Command("go", "build", "-o", binPath, "github.com/holdslayer/holdslayer/cmd/holdslayer").CombinedOutput()
	if err != nil {
		binBuild = fmt.Errorf("go build: %w: %s", err, out)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// process is one running holdslayer process.
type process struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	base string
	exit chan error
}

// startBinary runs `holdslayer serve --simulate` on a free loopback port with dataDir.
func startBinary(t *testing.T, dataDir string) *process {
	t.Helper()
	if binBuild != nil {
		t.Fatal(binBuild)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	b := &process{out: &syncBuffer{}, base: "http://" + addr, exit: make(chan error, 1)}
	// --simulate=true, not a bare --simulate: see TestBinaryBareBoolFlag.
	b.cmd = exec.Command(binPath, "serve", "--simulate=true", "--listen", addr, "--data-dir", dataDir, "--log-level", "info")
	// Only what the binary needs: no HOLDSLAYER_* from the developer's shell leaks in.
	b.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dataDir, "TMPDIR=" + dataDir}
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.exit <- b.cmd.Wait() }()
	t.Cleanup(func() {
		if b.cmd.ProcessState == nil {
			_ = b.cmd.Process.Kill()
			<-b.exit
		}
		if t.Failed() {
			t.Logf("holdslayer output:\n%s", b.out.String())
		}
	})
	return b
}

// signal sends sig and waits for the process to exit, returning its error.
func (b *process) signal(t *testing.T, sig os.Signal) error {
	t.Helper()
	if err := b.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-b.exit:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("holdslayer did not exit within 20 s of %v", sig)
		return nil
	}
}

// TestBinary runs the real binary against its built-in simulated Asterisk (real time, demo
// companies): a hold_slayer call placed over HTTP gets through Globex's menu with DTMF and is
// detected on hold (WebSocket); the process is killed (a crash) and started again on the same
// data directory, which ends the orphaned call with service_restart; a second call is placed
// and the process gets SIGTERM, which ends the call with reason shutdown and exits 0.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary in real time (about 20 s); skipped with -short")
	}
	dir := t.TempDir()
	const globex = "+18005550002" // answers after 2 s; 0 reaches a 45 s hold
	flowBody := map[string]any{
		"name": "Globex representative", "company": "Globex Telecom", "phone_number": globex,
		"steps": []map[string]any{
			{"id": "wait", "type": "WAIT", "description": "Let the menu start", "timeout": 1.0, "next_step": "press0"},
			{"id": "press0", "type": "DTMF", "description": "Representative", "dtmf": "0", "next_step": "hold"},
			{"id": "hold", "type": "HOLD", "description": "Wait for an agent", "next_step": "transfer"},
			{"id": "transfer", "type": "TRANSFER", "description": "Connect the user"},
		},
	}

	// Run 1: a call reaches hold, then the process dies without shutting down.
	b1 := startBinary(t, dir)
	c := newClient(t, b1.base)
	c.waitReady(t, 30*time.Second)
	devs := c.json(t, http.MethodGet, "/api/devices", nil, http.StatusOK)
	if list, _ := devs["devices"].([]any); len(list) != 1 {
		t.Errorf("demo device not registered: %v", devs)
	}
	flow := c.json(t, http.MethodPost, "/api/call-flows", flowBody, http.StatusCreated)["id"].(string)
	ws := c.events(t, "")
	first := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": globex, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	ws.wait(t, first, "ivr_dtmf_sent", 20*time.Second)
	ws.wait(t, first, "hold_detected", 30*time.Second)
	inOrder(t, ws.of(first), "call_started", "call_ringing", "call_connected", "ivr_step", "ivr_dtmf_sent", "hold_detected")
	c.close()
	_ = b1.signal(t, syscall.SIGKILL)

	// Run 2: the orphan is ended at start; a new call is placed; SIGTERM shuts down cleanly.
	b2 := startBinary(t, dir)
	c = newClient(t, b2.base)
	defer c.close()
	c.waitReady(t, 30*time.Second)
	if got := c.call(t, first); got["status"] != "ended" || got["end_reason"] != "service_restart" {
		t.Errorf("call left by the killed process: %v, want ended/service_restart", got)
	}
	ws = c.events(t, "")
	second := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": globex, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	ws.wait(t, second, "ivr_dtmf_sent", 20*time.Second) // past set-up: see TestShutdownDuringCallSetup
	c.close()
	if err := b2.signal(t, syscall.SIGTERM); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}

	st, err := store.Open(context.Background(), filepath.Join(dir, "holdslayer.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.GetCall(context.Background(), second)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.StatusEnded || got.EndReason != "shutdown" {
		t.Errorf("call live at SIGTERM: %s/%s, want ended/shutdown", got.Status, got.EndReason)
	}
	evs, err := st.ListEvents(context.Background(), second, []app.EventType{app.EventCallEnded}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Data["reason"] != "shutdown" {
		t.Errorf("stored call_ended events of the call live at SIGTERM: %+v", evs)
	}
	if !bytes.Contains([]byte(b2.out.String()), []byte("shutting down")) {
		t.Errorf("no shutdown in the log")
	}
}

// TestBinaryOrphanEventRecorded: a call a killed process left open is ended at the next start
// (store: ended/service_restart), and its event history should say so too.
func TestBinaryOrphanEventRecorded(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "holdslayer.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	orphan := app.Call{Number: "+18005550002", Mode: app.ModeHoldSlayer, Status: app.StatusOnHold, StartedAt: time.Now()}
	if err := st.CreateCall(context.Background(), &orphan); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	b := startBinary(t, dir)
	c := newClient(t, b.base)
	defer c.close()
	c.waitReady(t, 30*time.Second)
	hist := c.json(t, http.MethodGet, "/api/calls/"+orphan.ID+"/events", nil, http.StatusOK)
	evs, _ := hist["events"].([]any)
	for _, raw := range evs {
		ev := raw.(map[string]any)
		if ev["type"] == "call_ended" && ev["data"].(map[string]any)["reason"] == "service_restart" {
			_ = b.signal(t, syscall.SIGTERM)
			return
		}
	}
	_ = b.signal(t, syscall.SIGTERM)
	t.Fatalf("a call left open by a killed process has no call_ended/service_restart event; events: %v", evs)
}

// TestBinaryBareBoolFlag: `holdslayer serve --simulate --listen ADDR` (a bare boolean flag, as
// the README writes it) must read --simulate as true and still see the flags after it; `config`
// resolves flags exactly as serve does and exits.
func TestBinaryBareBoolFlag(t *testing.T) {
	if binBuild != nil {
		t.Fatal(binBuild)
	}
	dir := t.TempDir()
	cmd := exec.Command(binPath, "config", "--simulate", "--listen", "127.0.0.1:9", "--data-dir", dir)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("holdslayer config --simulate --listen ...: %v\n%s", err, out)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^simulate\s+HOLDSLAYER_SIMULATE\s+false\s+true\s`),
		regexp.MustCompile(`(?m)^listen\s+HOLDSLAYER_LISTEN\s+\S+\s+127\.0\.0\.1:9\s`),
	} {
		if !want.Match(out) {
			t.Errorf("config output does not match %s:\n%s", want, out)
		}
	}
}
