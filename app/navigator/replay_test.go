package navigator

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

func f64(v float64) *float64 { return &v }

func seedFlow() app.CallFlow {
	return app.CallFlow{ID: "chase_bank_disputes", Steps: []app.Step{
		{ID: "wait", Type: app.StepWait, Description: "Wait for greeting", Timeout: f64(5), NextStep: "menu"},
		{ID: "menu", Type: app.StepListen, Description: "Main menu", Expect: "for account services press 3", NextStep: "press3"},
		{ID: "press3", Type: app.StepDTMF, Description: "Account services", DTMF: "3", NextStep: "rep"},
		{ID: "rep", Type: app.StepSpeak, Text: "representative", NextStep: "hold"},
		{ID: "hold", Type: app.StepHold, Description: "Wait for agent", NextStep: "transfer"},
		{ID: "transfer", Type: app.StepTransfer, Description: "Connect to user"},
	}}
}

func kinds(as []Action) string {
	var s []string
	for _, a := range as {
		s = append(s, string(a.Kind)+":"+a.Digits+a.Text)
	}
	return strings.Join(s, ",")
}

func TestReplayGetsThrough(t *testing.T) {
	r, err := NewReplayer(seedFlow(), ReplayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(0, 0)
	out := r.Start(t0)
	if kinds(out.Actions) != "wait:" || !out.Deadline.Equal(t0.Add(5*time.Second)) || out.Steps[0].StepID != "wait" {
		t.Fatalf("start: %+v", out)
	}
	out = r.Heard(t0.Add(2*time.Second), "Thank you for calling Chase.")
	if len(out.Actions) != 0 || out.State != ReplayRunning {
		t.Fatalf("greeting during wait: %+v", out)
	}
	if out = r.Tick(t0.Add(4 * time.Second)); len(out.Actions) != 0 {
		t.Fatalf("tick before deadline acted: %+v", out)
	}
	out = r.Tick(t0.Add(5 * time.Second))
	if kinds(out.Actions) != "listen:for account services press 3" || out.Steps[0].StepID != "menu" {
		t.Fatalf("after wait: %+v", out)
	}
	out = r.Heard(t0.Add(8*time.Second), "For card services press 1. For account services, press three.")
	if kinds(out.Actions) != "dtmf:3,speak:representative,expect_hold:" {
		t.Fatalf("after menu: %s", kinds(out.Actions))
	}
	if out.Actions[0].StepID != "press3" || len(out.Steps) != 3 || out.State != ReplayHolding || !out.Deadline.IsZero() {
		t.Fatalf("after menu: %+v", out)
	}
	if d := out.Steps[0].EventData(); d["step_id"] != "press3" || d["step_type"] != "DTMF" || d["description"] != "Account services" {
		t.Fatalf("ivr_step data %v", d)
	}
	// Hold announcements do not disturb the replay.
	if out = r.Heard(t0.Add(60*time.Second), "Your call is important to us."); out.Mismatch != nil || len(out.Actions) != 0 {
		t.Fatalf("hold announcement: %+v", out)
	}
	out = r.HumanConfirmed(t0.Add(120 * time.Second))
	if kinds(out.Actions) != "transfer:" || out.State != ReplayDone {
		t.Fatalf("human: %+v", out)
	}
}

func TestReplayNoticesChangedMenu(t *testing.T) {
	r, _ := NewReplayer(seedFlow(), ReplayConfig{})
	t0 := time.Unix(0, 0)
	r.Start(t0)
	r.Tick(t0.Add(5 * time.Second))
	out := r.Heard(t0.Add(7*time.Second), "Please listen carefully as our options have changed. For mortgages press 1. For auto loans press 2.")
	if out.Mismatch == nil || out.Mismatch.Reason != "prompt_differs" || out.State != ReplayMismatched {
		t.Fatalf("changed menu not noticed: %+v", out)
	}
	if kinds(out.Actions) != "fallback:" || out.Mismatch.Expected != "for account services press 3" {
		t.Fatalf("%+v", out)
	}
	// Nothing more happens after a mismatch: the matcher/LLM has the call now.
	if out = r.Heard(t0.Add(9*time.Second), "for account services press 3"); len(out.Actions) != 0 {
		t.Fatalf("acted after mismatch: %+v", out)
	}
}

func TestReplayListenTimeoutAndMenuAtHold(t *testing.T) {
	r, _ := NewReplayer(seedFlow(), ReplayConfig{ListenTimeout: 10 * time.Second})
	t0 := time.Unix(0, 0)
	r.Start(t0)
	r.Tick(t0.Add(5 * time.Second))
	r.Heard(t0.Add(6*time.Second), "For account")
	out := r.Tick(t0.Add(15 * time.Second))
	if out.Mismatch == nil || out.Mismatch.Reason != "listen_timeout" {
		t.Fatalf("listen timeout: %+v", out)
	}

	r, _ = NewReplayer(seedFlow(), ReplayConfig{})
	r.Start(t0)
	r.Heard(t0.Add(time.Second), "Welcome. For account services press 3.") // heard during WAIT
	out = r.Tick(t0.Add(5 * time.Second))
	if kinds(out.Actions) != "dtmf:3,speak:representative,expect_hold:" {
		t.Fatalf("prompt heard during WAIT should satisfy LISTEN: %s", kinds(out.Actions))
	}
	out = r.Heard(t0.Add(20*time.Second), "To hear your balance press 1, for payments press 2.")
	if out.Mismatch == nil || out.Mismatch.Reason != "menu_at_hold" {
		t.Fatalf("menu at hold: %+v", out)
	}
}

func TestValidateFlow(t *testing.T) {
	good := seedFlow()
	if err := ValidateFlow(good); err != nil {
		t.Fatalf("seed flow invalid: %v", err)
	}
	mod := func(f func(*app.CallFlow)) app.CallFlow {
		c := seedFlow()
		c.Steps = append([]app.Step(nil), c.Steps...)
		f(&c)
		return c
	}
	bad := map[string]app.CallFlow{
		"empty":          {ID: "x"},
		"dangling link":  mod(func(c *app.CallFlow) { c.Steps[1].NextStep = "nowhere" }),
		"not terminal":   mod(func(c *app.CallFlow) { c.Steps[5].NextStep = "wait" }),
		"ends early":     mod(func(c *app.CallFlow) { c.Steps[4].NextStep = "" }),
		"unreachable":    mod(func(c *app.CallFlow) { c.Steps[2].NextStep = "hold" }),
		"bad digits":     mod(func(c *app.CallFlow) { c.Steps[2].DTMF = "3x" }),
		"duplicate id":   mod(func(c *app.CallFlow) { c.Steps[3].ID = "menu" }),
		"unknown type":   mod(func(c *app.CallFlow) { c.Steps[3].Type = "JUMP" }),
		"speak w/o text": mod(func(c *app.CallFlow) { c.Steps[3].Text = "" }),
		"loop":           mod(func(c *app.CallFlow) { c.Steps[4].NextStep = "menu"; c.Steps = c.Steps[:5] }),
	}
	for name, f := range bad {
		if err := ValidateFlow(f); !errors.Is(err, app.ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
	if _, err := NewReplayer(bad["dangling link"], ReplayConfig{}); err == nil {
		t.Error("NewReplayer accepted an invalid flow")
	}
}
