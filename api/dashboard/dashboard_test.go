package dashboard_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"

	"github.com/holdslayer/holdslayer/api"
	"github.com/holdslayer/holdslayer/api/dashboard"
	"github.com/holdslayer/holdslayer/api/mcpserver/scripted"
	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/store"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	goleak.VerifyTestMain(m)
}

func TestHandler(t *testing.T) {
	ts := httptest.NewServer(dashboard.Handler())
	defer ts.Close()
	for _, c := range []struct {
		path, method string
		status       int
		ctype, body  string
	}{
		{"/", http.MethodGet, 200, "text/html", "<title>Hold Slayer</title>"},
		{"/app.js", http.MethodGet, 200, "javascript", "/ws/events"},
		{"/app.css", http.MethodGet, 200, "text/css", ".call-card"},
		{"/nope.js", http.MethodGet, 404, "", ""},
		{"/../dashboard.go", http.MethodGet, 404, "", ""},
		{"/", http.MethodPost, 405, "", ""},
	} {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(b), c.body) {
			t.Errorf("%s %s: %d %q, body has %q: %v", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.body, strings.Contains(string(b), c.body))
		}
		if c.path == "/" && c.status == 200 && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Error("index has no content security policy")
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

// chromiumPath finds a Chromium to drive, or skips the test saying how to get one.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not found: install Debian's chromium package (apt-get install chromium) to run the browser test")
	return ""
}

// target is the service the browser test drives: the in-process API over the scripted
// engine (gated, so each stage can be looked at), or a running demo named by
// HOLDSLAYER_DASHBOARD_URL (with HOLDSLAYER_DASHBOARD_TOKEN and HOLDSLAYER_DASHBOARD_NUMBER).
type target struct {
	url, token, number, device string
	advance                    func() // lets the next stage run; nil for the demo
	dropStreams                func() // closes every client connection; nil for the demo
	sendKeys                   func(callID, digits string) error
}

func localTarget(t *testing.T) target {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "holdslayer.db"), log)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.CreateDevice(ctx, &app.Device{Name: "Desk phone", Type: "sip_phone", SIPURI: "sip:desk@example.com", Priority: 10, IsOnline: true}); err != nil {
		t.Fatalf("create device: %v", err)
	}
	bus := app.NewBus(st, log)
	gate := make(chan struct{})
	eng := scripted.New(st, bus, scripted.Options{Step: 30 * time.Millisecond, Gate: gate, Log: log})
	t.Cleanup(eng.Close)
	done := make(chan struct{})
	router := api.New(api.Config{Calls: eng, Store: st, Bus: bus, Token: "dash-token", Log: log, Done: done,
		Mounts: []api.Mount{{Path: "/", Handler: dashboard.Handler()}}})
	drop := &dropper{h: router}
	ts := httptest.NewServer(drop)
	t.Cleanup(func() { close(done); drop.dropAll(); ts.CloseClientConnections(); ts.Close() })
	return target{url: ts.URL, token: "dash-token", number: "+18005551234", device: "Desk phone",
		advance: func() {
			select {
			case gate <- struct{}{}:
			case <-time.After(10 * time.Second):
				t.Fatal("scripted call did not take the next stage")
			}
		},
		dropStreams: drop.dropAll,
		sendKeys:    func(id, digits string) error { return eng.SendDTMF(context.Background(), id, digits) },
	}
}

// dropper remembers hijacked (WebSocket) connections so a test can cut them, as a network
// failure would; httptest forgets connections once they are hijacked.
type dropper struct {
	h     http.Handler
	mu    sync.Mutex
	conns []net.Conn
}

func (d *dropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.h.ServeHTTP(&hijackWriter{ResponseWriter: w, d: d}, r)
}

func (d *dropper) dropAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		_ = c.Close()
	}
	d.conns = nil
}

type hijackWriter struct {
	http.ResponseWriter
	d *dropper
}

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.d.mu.Lock()
		w.d.conns = append(w.d.conns, c)
		w.d.mu.Unlock()
	}
	return c, rw, err
}

func (w *hijackWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func artifactsDir(t *testing.T) string {
	if d := os.Getenv("HOLDSLAYER_ARTIFACTS_DIR"); d != "" {
		dir := filepath.Join(d, "dashboard")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("artifacts dir: %v", err)
		}
		return dir
	}
	return t.TempDir()
}

// TestDashboardInBrowser places a hold_slayer call from the form in a real Chromium and
// follows its card through navigating, on_hold, human_detected and transferred, checking
// the timeline, the transcript, the pick-up alert, a validation error, the WebSocket's
// reconnect with replay, a phone-sized layout and the history view; a screenshot of each
// stage lands in the artifacts directory.
func TestDashboardInBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	var tg target
	if u := os.Getenv("HOLDSLAYER_DASHBOARD_URL"); u != "" {
		tg = target{url: strings.TrimSuffix(u, "/"), token: os.Getenv("HOLDSLAYER_DASHBOARD_TOKEN"),
			number: os.Getenv("HOLDSLAYER_DASHBOARD_NUMBER"), device: os.Getenv("HOLDSLAYER_DASHBOARD_DEVICE")}
		if tg.number == "" {
			tg.number = "+18005551234"
		}
	} else {
		tg = localTarget(t)
	}
	shots := artifactsDir(t)
	t.Logf("screenshots in %s", shots)

	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		// Chromium puts its singleton socket under TMPDIR; a test's own directory goes with the test.
		chromedp.Env("TMPDIR="+t.TempDir()),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 1000))
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	defer bcancel()
	if err := chromedp.Do(bctx); err != nil { // starts the browser on a context without timeout
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	step := 0
	shot := func(name string) {
		t.Helper()
		step++
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 gives PNG
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(shots, fmt.Sprintf("%02d-%s.png", step, name))
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatalf("write %s: %v", p, err)
		}
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shot("failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	waitJS := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			shot("failed")
			t.Fatalf("waiting for %s (%s): %v", what, expr, err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}

	do("open the dashboard", chromedp.Navigate(tg.url+"/"))
	if tg.token != "" {
		waitJS("the token prompt", `document.querySelector("#token-dialog").open`)
		shot("token-prompt")
		do("enter the token", chromedp.SendKeys(chromedp.CSS("#token-input"), tg.token), chromedp.Click(chromedp.CSS("#token-save")))
	}
	waitJS("the page to load", `document.body.dataset.ready === "true"`)
	waitJS("the event stream", `document.querySelector("#conn-status").dataset.state === "live"`)

	// A bad number is refused by the API and the form shows its words.
	do("type a bad number", chromedp.SendKeys(chromedp.CSS("#cf-number"), "555-1234"), chromedp.Click(chromedp.CSS(`#call-form button[type=submit]`)))
	waitJS("the validation error", `!document.querySelector("#call-form .form-error").hidden`)
	if msg := eval(`document.querySelector("#call-form .form-error").textContent`); !strings.Contains(msg, `invalid E.164 number "555-1234"`) {
		t.Errorf("form error = %q", msg)
	}
	if eval(`document.querySelector("#cf-number").getAttribute("aria-invalid") || ""`) != "true" {
		t.Error("the number field is not marked invalid")
	}
	shot("validation-error")

	// Place the real call.
	eval(`document.querySelector("#cf-number").value = ""`)
	do("fill the form", chromedp.SendKeys(chromedp.CSS("#cf-number"), tg.number),
		chromedp.SendKeys(chromedp.CSS("#cf-intent"), "dispute a card charge"))
	if tg.device != "" {
		waitJS("the device list", fmt.Sprintf(`[...document.querySelectorAll("#cf-device option")].some(o => o.value === %q)`, tg.device))
		eval(fmt.Sprintf(`document.querySelector("#cf-device").value = %q`, tg.device))
	}
	do("place the call", chromedp.Click(chromedp.CSS(`#call-form button[type=submit]`)))
	waitJS("the call card", `document.querySelector(".call-card") !== null`)
	if msg := eval(`document.querySelector("#call-form .form-error").hidden ? "" : document.querySelector("#call-form .form-error").textContent`); msg != "" {
		t.Fatalf("placing the call failed: %s", msg)
	}
	callID := eval(`document.querySelector(".call-card").dataset.callId`)
	card := fmt.Sprintf(`document.querySelector('.call-card[data-call-id=%q]')`, callID)

	for _, stage := range scripted.Stages {
		if tg.advance != nil {
			tg.advance()
		}
		waitJS("status "+string(stage), fmt.Sprintf(`(%s.dataset.history || "").split(" ").includes(%q)`, card, string(stage)))
		switch stage {
		case scripted.StageNavigating:
			waitJS("the menu step on the timeline", card+`.querySelector('.timeline-marks li[data-kind="step"]') !== null`)
		case scripted.StageOnHold:
			waitJS("keys and hold marks", card+`.querySelector('.timeline-marks li[data-kind="keys"]') && `+card+`.querySelector('.timeline-marks li[data-kind="hold"]')`)
			waitJS("the hold transcript", card+`.querySelector(".transcript").textContent.includes("important to us")`)
			if tg.advance != nil {
				waitJS("the estimated wait", card+`.querySelector(".wait").textContent.includes("4:00")`)
			}
		case scripted.StageHumanDetected:
			waitJS("the pick-up alert", `!`+card+`.querySelector(".alert-human").hidden`)
			alert := eval(card + `.querySelector(".alert-human").textContent`)
			if tg.device != "" && !strings.Contains(alert, "Transferring to "+tg.device) {
				t.Errorf("human alert = %q, want it to name %s", alert, tg.device)
			}
			waitJS("the agent in the transcript", card+`.querySelector(".transcript").textContent.includes("Sarah")`)
			if n := eval(`String(window.__hsBeeps || 0)`); n == "0" {
				t.Error("no alert sound was played for the person")
			}
		case scripted.StageTransferred:
			waitJS("the transfer mark", card+`.querySelector('.timeline-marks li[data-kind="transfer"]') !== null`)
		}
		shot(string(stage))
	}
	if segs := eval(card + `.querySelector("canvas").dataset.segments`); segs == "" || segs == "0" || segs == "1" {
		t.Errorf("strip chart has %q classification segments", segs)
	}
	if tg.advance != nil {
		hist := eval(card + `.dataset.history`)
		if hist != "trying ringing connected navigating on_hold human_detected transferring transferred" {
			t.Errorf("card went through %q", hist)
		}
	}

	// The event stream drops; the page says so, reconnects by itself and replays what it missed.
	if tg.dropStreams != nil {
		before := eval(`String(window.__hsDisconnects)`)
		tg.dropStreams()
		if err := tg.sendKeys(callID, "77"); err != nil {
			t.Fatalf("send keys: %v", err)
		}
		waitJS("the disconnect to be noticed", fmt.Sprintf(`String(window.__hsDisconnects) !== %q`, before))
		waitJS("the stream to come back", `document.querySelector("#conn-status").dataset.state === "live"`)
		waitJS("the missed keys to be replayed", card+`.querySelector(".timeline-marks").textContent.includes("Keys 77")`)
		shot("reconnected")
	}

	// Phone-sized screen: nothing wider than the viewport.
	do("phone viewport", chromedp.EmulateViewport(390, 844))
	if w := eval(`document.documentElement.scrollWidth + "/" + document.documentElement.clientWidth`); func() bool {
		var sw, cw int
		_, _ = fmt.Sscanf(w, "%d/%d", &sw, &cw)
		return sw > cw || cw == 0
	}() {
		t.Errorf("page overflows a 390px screen sideways (scroll/client width %s)", w)
	}
	shot("phone")
	do("desktop viewport", chromedp.EmulateViewport(1280, 1000))

	// Hang up from the card; the call then shows in history with its timeline and transcript.
	do("hang up", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.call-card[data-call-id=%q] .hangup`, callID))))
	waitJS("the call to end", card+`.dataset.status === "ended"`)
	do("open history", chromedp.Click(chromedp.CSS(`nav button[data-tab="history"]`)))
	waitJS("the history row", `document.querySelector("#history-table tbody tr button") !== null`)
	do("open the call", chromedp.Click(chromedp.CSS(`#history-table tbody tr button`)))
	waitJS("the history detail", `document.querySelector(".history-call .transcript") !== null && document.querySelector(".history-call .timeline-marks li") !== null`)
	if txt := eval(`document.querySelector(".history-call").textContent`); !strings.Contains(txt, "user_hangup") || !strings.Contains(txt, "Sarah") {
		t.Errorf("history detail = %q", txt)
	}
	if tg.advance != nil && eval(`String(document.querySelector("#nav-analytics").hidden)`) != "true" {
		t.Error("analytics is shown although the API has none")
	}
	shot("history")
}
