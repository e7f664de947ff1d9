package notify

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// Message is what a target receives: a title (email subject, push title), a body, a short
// form for SMS, and the event it came from (webhooks post the event itself).
type Message struct {
	Rule  string // the matching rule: an event type or hold_longer_than:N
	Title string
	Body  string
	Short string // one line, under 160 characters where possible
	Event app.Event
}

// callInfo is what the notifier knows about a call from earlier events or the store.
type callInfo struct {
	Number   string
	Company  string
	Device   string        // device name (or id) as the call carries it
	DeviceID string        // device id, when an event named it (transfer_started's device_id)
	Hold     time.Duration // time on hold so far
}

func (c callInfo) who() string {
	switch {
	case c.Company != "" && c.Number != "":
		return c.Company + " (" + c.Number + ")"
	case c.Company != "":
		return c.Company
	case c.Number != "":
		return c.Number
	}
	return "the company"
}

// render builds the message for rule from ev. Every notification's wording lives here.
func render(rule string, ev app.Event, info callInfo) Message {
	d := ev.Data
	info.Number = firstNonEmpty(info.Number, str(d, "number"))
	who := info.who()
	num := firstNonEmpty(info.Number, "the company")
	var title, short string
	var lines []string
	add := func(label, value string) {
		if value != "" {
			lines = append(lines, label+": "+value)
		}
	}
	switch {
	case rule == string(app.EventHumanDetected):
		title = "Pick up: a person answered at " + num
		short = "Hold Slayer: a person answered at " + num + ". Pick up your phone."
		lines = append(lines, "A live person answered your call to "+who+".")
		if dev := firstNonEmpty(str(d, "device"), info.Device); dev != "" {
			add("Transferring to", dev)
			short = "Hold Slayer: a person answered at " + num + ". Ringing " + dev + " now."
		}
		add("Confidence", pct(d, "confidence"))
		if ex := str(d, "transcript_excerpt"); ex != "" {
			add("They said", "\""+ex+"\"")
		}
	case rule == string(app.EventCallFailed):
		title = "Call to " + num + " failed"
		lines = append(lines, "Your call to "+who+" failed.")
		add("Error", firstNonEmpty(str(d, "error"), str(d, "reason")))
		short = "Hold Slayer: call to " + num + " failed. " + str(d, "error")
	case rule == string(app.EventCallEnded):
		title = "Call to " + num + " ended"
		lines = append(lines, "Your call to "+who+" ended.")
		add("Duration", seconds(d, "duration"))
		add("Reason", str(d, "reason"))
		short = "Hold Slayer: call to " + num + " ended. " + str(d, "reason")
	case rule == string(app.EventTransferFailed):
		title = "Transfer failed on your call to " + num
		lines = append(lines, "A person answered "+who+" but the call could not be connected to your phone.")
		add("Device", firstNonEmpty(str(d, "device"), info.Device))
		add("Error", firstNonEmpty(str(d, "error"), str(d, "reason")))
		add("Details", str(d, "message"))
		short = "Hold Slayer: transfer to your phone failed on the call to " + num + "."
	case rule == string(app.EventWaitEstimated):
		wait := firstNonEmpty(seconds(d, "estimated_wait_seconds"), seconds(d, "wait_seconds"), seconds(d, "seconds"))
		title = "Estimated wait at " + num + ": " + firstNonEmpty(wait, "unknown")
		lines = append(lines, who+" announced an estimated wait.")
		add("Estimated wait", wait)
		add("Announcement", str(d, "transcript"))
		short = "Hold Slayer: " + num + " estimates a wait of " + firstNonEmpty(wait, "unknown") + "."
	case strings.HasPrefix(rule, RuleHoldLongerThan):
		m, _ := parseHoldRule(rule)
		title = fmt.Sprintf("Still on hold with %s after %s", num, plural(m, "minute"))
		lines = append(lines, fmt.Sprintf("Hold Slayer has been on hold with %s for %s and is still waiting for you.", who, roundDur(info.Hold)))
		short = fmt.Sprintf("Hold Slayer: still on hold with %s after %d min.", num, m)
	case rule == ruleTest:
		title = "Hold Slayer test notification"
		lines = append(lines, "This is a test: notifications to this target work.")
		short = "Hold Slayer: test notification."
	default:
		title = "Hold Slayer: " + rule + " on the call to " + num
		short = title
	}
	if ev.CallID != "" {
		add("Call", ev.CallID)
	}
	if !ev.Timestamp.IsZero() {
		add("At", ev.Timestamp.Format(time.RFC3339))
	}
	return Message{Rule: rule, Title: title, Body: strings.Join(lines, "\n") + "\n", Short: strings.TrimSpace(short), Event: ev}
}

// ruleTest is the rule of a test notification (POST /api/notifications/test).
const ruleTest = "test"

func str(d map[string]any, k string) string {
	switch v := d[k].(type) {
	case string:
		return v
	case nil:
		return ""
	case fmt.Stringer:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

func numberField(d map[string]any, k string) (float64, bool) {
	switch v := d[k].(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case time.Duration:
		return v.Seconds(), true
	}
	return 0, false
}

func pct(d map[string]any, k string) string {
	v, ok := numberField(d, k)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%.0f%%", v*100)
}

func seconds(d map[string]any, k string) string {
	v, ok := numberField(d, k)
	if !ok || v < 0 || math.IsNaN(v) {
		return ""
	}
	return roundDur(time.Duration(v * float64(time.Second)))
}

func roundDur(d time.Duration) string { return d.Round(time.Second).String() }

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
