package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// alertRecorder keeps every text the cards' pick-up alert shows, in order, in
// window.__alerts: the real engine goes from human_detected to transferred within a second,
// faster than a poll could see each text.
const alertRecorder = `(() => {
  window.__alerts = [];
  const seen = new Map();
  const record = () => document.querySelectorAll(".call-card .alert-human").forEach((a) => {
    const id = a.closest(".call-card").dataset.callId;
    if (!a.hidden && a.textContent && seen.get(id) !== a.textContent) { seen.set(id, a.textContent); window.__alerts.push(a.textContent); }
  });
  new MutationObserver(record).observe(document.querySelector("#calls"), { subtree: true, childList: true, characterData: true, attributes: true });
  return "";
})()`

// TestDashboardRealEngine is issue 7's browser proof against the real service: the dashboard
// served by internal/service (token required), the call engine over ARI to the simulated
// Asterisk on the accelerated clock, transcripts from the simulator's recogniser. In Debian's
// chromium it places a hold_slayer call from the form (the stored menu flow picked in the form,
// Robert's phone as the device), follows the card through navigating, on_hold,
// human_detected and transferred, checks the strip chart and its marks fill, the transcript
// arrives with the agent's greeting, the alert names the device it is transferring to, a bad
// number shows the API's validation error, and the finished call's history shows its
// transcript and how it ended. A screenshot of each stage goes to
// $HOLDSLAYER_ARTIFACTS_DIR/dashboard-demo (or a temporary directory).
func TestDashboardRealEngine(t *testing.T) {
	exe := chromium(t)
	e := newTokenEnv(t, uiToken)
	c := e.client
	const devName = "Robert's desk phone"
	c.device(t, devName, "PJSIP/"+phoneRobert, 10)
	flow := c.menuFlow(t, numShortHold)
	shots := artifacts(t, "dashboard-demo")
	t.Logf("screenshots in %s", shots)

	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		// Chromium puts its singleton socket under TMPDIR; a test's own directory goes with the test.
		chromedp.Env("TMPDIR="+t.TempDir()),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 1000))
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	// Chromium goes first at cleanup (registered last): its WebSocket to the service closes
	// before the env stops the service and checks for leaks.
	t.Cleanup(func() { bcancel(); acancel() })
	if err := chromedp.Do(bctx); err != nil { // starts the browser on a context without timeout
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	b := &browser{t: t, ctx: ctx, dir: shots}
	b.do("open the dashboard", chromedp.Navigate(c.base+"/"))
	b.waitJS("the token prompt", `document.querySelector("#token-dialog").open`, waitShort)
	b.shot("token-prompt")
	b.do("enter the token", chromedp.SendKeys(chromedp.CSS("#token-input"), uiToken), chromedp.Click(chromedp.CSS("#token-save")))
	b.waitJS("the page to load", `document.body.dataset.ready === "true"`, waitShort)
	b.waitJS("the event stream", `document.querySelector("#conn-status").dataset.state === "live"`, waitShort)
	b.eval(alertRecorder)

	// A bad number: the API refuses it and the form shows the API's words.
	b.do("type a bad number", chromedp.SendKeys(chromedp.CSS("#cf-number"), "555-1234"),
		chromedp.Click(chromedp.CSS(`#call-form button[type=submit]`)))
	b.waitJS("the validation error", `!document.querySelector("#call-form .form-error").hidden`, waitShort)
	if msg := b.eval(`document.querySelector("#call-form .form-error").textContent`); !strings.Contains(msg, `invalid E.164 number "555-1234"`) {
		t.Errorf("form error = %q, want the API's invalid E.164 message", msg)
	}
	if b.eval(`document.querySelector("#cf-number").getAttribute("aria-invalid") || ""`) != "true" {
		t.Error("the number field is not marked invalid")
	}
	if n := b.eval(`String(document.querySelectorAll(".call-card").length)`); n != "0" {
		t.Errorf("a refused number made %s call cards", n)
	}
	b.shot("validation-error")

	// The real call: number, hold_slayer, the stored flow offered for that number, the device.
	b.eval(`document.querySelector("#cf-number").value = ""`)
	b.do("fill the form", chromedp.SendKeys(chromedp.CSS("#cf-number"), numShortHold),
		chromedp.SendKeys(chromedp.CSS("#cf-intent"), "talk to a person about my card"))
	b.waitJS("the stored flow offered for the number", fmt.Sprintf(`[...document.querySelectorAll("#cf-flow option")].some(o => o.value === %q)`, flow), waitShort)
	b.waitJS("the device list", fmt.Sprintf(`[...document.querySelectorAll("#cf-device option")].some(o => o.value === %q)`, devName), waitShort)
	b.eval(fmt.Sprintf(`document.querySelector("#cf-mode").value = "hold_slayer"; document.querySelector("#cf-flow").value = %q; document.querySelector("#cf-device").value = %q; ""`, flow, devName))
	b.shot("form")
	b.do("place the call", chromedp.Click(chromedp.CSS(`#call-form button[type=submit]`)))
	b.waitJS("the call card", `document.querySelector(".call-card") !== null`, waitShort)
	if msg := b.eval(`document.querySelector("#call-form .form-error").hidden ? "" : document.querySelector("#call-form .form-error").textContent`); msg != "" {
		t.Fatalf("placing the call failed: %s", msg)
	}
	callID := b.eval(`document.querySelector(".call-card").dataset.callId`)
	card := fmt.Sprintf(`document.querySelector('.call-card[data-call-id=%q]')`, callID)
	t.Logf("call %s placed from the form", callID)
	start := time.Now()

	for _, stage := range []string{"navigating", "on_hold", "human_detected", "transferred"} {
		b.waitJS("status "+stage, fmt.Sprintf(`(%s.dataset.history || "").split(" ").includes(%q)`, card, stage), waitLong)
		switch stage {
		case "navigating":
			b.waitJS("the menu step on the timeline", card+`.querySelector('.timeline-marks li[data-kind="step"]') !== null`, waitShort)
		case "on_hold":
			b.waitJS("the keys and hold marks", card+`.querySelector('.timeline-marks li[data-kind="keys"]') && `+
				card+`.querySelector('.timeline-marks li[data-kind="hold"]')`, waitShort)
		case "human_detected":
			b.waitJS("the pick-up alert", `window.__alerts.some(a => a.startsWith("A person answered!"))`, waitShort)
			b.waitJS("the agent in the transcript", `[...`+card+`.querySelectorAll(".transcript li")].some(li => li.textContent.includes("company:") && li.textContent.includes("this is Sarah"))`, waitShort)
			if n := b.eval(`String(window.__hsBeeps || 0)`); n == "0" {
				t.Error("no alert sound was played for the person")
			}
		case "transferred":
			b.waitJS("the transfer marks", card+`.querySelectorAll('.timeline-marks li[data-kind="transfer"]').length >= 2`, waitShort)
			b.waitJS("the connected alert", card+`.querySelector(".alert-human").textContent === "Connected to `+devName+`."`, waitShort)
		}
		t.Logf("%s seen after %s", stage, time.Since(start).Round(10*time.Millisecond))
		b.shot(stage)
	}

	// The card went through the whole story in order, the alert named the device at each
	// step, and the strip chart has several classification segments and its marks.
	hist := strings.Fields(b.eval(card + `.dataset.history`))
	if !subsequence(hist, "navigating", "on_hold", "human_detected", "transferring", "transferred") {
		t.Errorf("card went through %v", hist)
	}
	alerts := b.eval(`window.__alerts.join("\n")`)
	for _, want := range []string{"A person answered! Transferring to " + devName, "Transferring to " + devName + "…", "Connected to " + devName + "."} {
		if !strings.Contains(alerts, want) {
			t.Errorf("the pick-up alert never said %q; it said:\n%s", want, alerts)
		}
	}
	segs := b.eval(card + `.querySelector("canvas").dataset.segments`)
	marks := b.eval(card + `.querySelector("canvas").dataset.marks`)
	var nSegs, nMarks int
	_, _ = fmt.Sscan(segs, &nSegs)
	_, _ = fmt.Sscan(marks, &nMarks)
	if nSegs < 2 || nMarks < 6 {
		t.Errorf("strip chart has %d classification segments and %d marks, want several of each", nSegs, nMarks)
	}
	kinds := b.eval(`[...new Set([...` + card + `.querySelectorAll(".timeline-marks li")].map(li => li.dataset.kind))].join(" ")`)
	legend := b.eval(card + `.querySelector(".legend").textContent`)
	t.Logf("live transcript: %q", b.eval(`[...`+card+`.querySelectorAll(".transcript li")].map(li => li.textContent).join(" | ")`))
	t.Logf("card history %v; strip chart %d segments (%s), %d marks (%s)", hist, nSegs, legend, nMarks, kinds)
	if !strings.Contains(legend, "music") {
		t.Errorf("strip chart legend %q lacks the hold music", legend)
	}

	// Hang up from the card; the call then shows in history with its transcript and end reason.
	b.do("hang up", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.call-card[data-call-id=%q] .hangup`, callID))))
	b.waitJS("the call to end", card+`.dataset.status === "ended"`, waitShort)
	b.shot("ended")
	b.do("open history", chromedp.Click(chromedp.CSS(`nav button[data-tab="history"]`)))
	b.waitJS("the history row", `document.querySelector("#history-table tbody tr button") !== null`, waitShort)
	if row := b.eval(`document.querySelector("#history-table tbody tr").textContent`); !strings.Contains(row, numShortHold) || !strings.Contains(row, "user_hangup") {
		t.Errorf("history row = %q, want the number and user_hangup", row)
	}
	b.do("open the call", chromedp.Click(chromedp.CSS(`#history-table tbody tr button`)))
	b.waitJS("the history detail", `document.querySelector(".history-call .transcript") !== null && document.querySelector(".history-call .timeline-marks li") !== null`, waitShort)
	detail := b.eval(`document.querySelector(".history-call").textContent`)
	for _, want := range []string{"ended by user_hangup", "this is Sarah in customer support", "Connected to " + devName} {
		if !strings.Contains(detail, want) {
			t.Errorf("history detail lacks %q: %q", want, detail)
		}
	}
	b.shot("history")
}

// browser drives one chromium tab for a test and saves numbered screenshots.
type browser struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	step int
}

func (b *browser) shot(name string) {
	b.t.Helper()
	b.step++
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // quality 100 gives PNG
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.step, name))
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Fatalf("write %s: %v", p, err)
	}
}

func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.shot("failed")
		b.t.Fatalf("%s: %v", what, err)
	}
}

// waitJS polls expr in the page until it is truthy.
func (b *browser) waitJS(what, expr string, within time.Duration) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(within), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.shot("failed")
		b.t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// eval evaluates expr, which must give a string.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// subsequence tells whether want appears in order (not necessarily adjacent) in got.
func subsequence(got []string, want ...string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
