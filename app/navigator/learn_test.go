package navigator

import (
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

func successfulCall() CallRecord {
	t0 := time.Unix(1_700_000_000, 0)
	return CallRecord{Number: "+18005550100", Company: "Acme Bank", Intent: "dispute a charge", Path: []PathEvent{
		{Kind: PathWait, Wait: 2 * time.Second, At: t0},
		{Kind: PathHeard, Text: "Thank you for calling Acme Bank.", At: t0.Add(3 * time.Second)},
		{Kind: PathHeard, Text: "For balances press 1. To dispute a charge, press 3.", At: t0.Add(6 * time.Second)},
		{Kind: PathDTMF, Digits: "3", At: t0.Add(9 * time.Second)},
		{Kind: PathHeard, Text: "Please say representative or enter your card number.", At: t0.Add(12 * time.Second)},
		{Kind: PathSpeak, Text: "Representative", At: t0.Add(14 * time.Second)},
		{Kind: PathHold, At: t0.Add(15 * time.Second)},
		{Kind: PathHeard, Text: "Your call is important to us.", At: t0.Add(40 * time.Second)},
		{Kind: PathDTMF, Digits: "1", At: t0.Add(50 * time.Second)}, // e.g. a survey opt-in on hold: not part of the path
		{Kind: PathHuman, At: t0.Add(300 * time.Second)},
	}}
}

func TestBuildFlowRoundTrip(t *testing.T) {
	now := time.Unix(1_700_001_000, 0)
	rec := successfulCall()
	f, err := BuildFlow(rec, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateFlow(f); err != nil {
		t.Fatalf("built flow fails validation: %v", err)
	}
	var types []app.StepType
	for _, s := range f.Steps {
		types = append(types, s.Type)
	}
	want := []app.StepType{app.StepWait, app.StepListen, app.StepDTMF, app.StepListen, app.StepSpeak, app.StepHold, app.StepTransfer}
	if len(types) != len(want) {
		t.Fatalf("steps %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("steps %v, want %v", types, want)
		}
	}
	if f.PhoneNumber != rec.Number || f.SuccessCount != 1 || f.LastVerifiedAt == nil || f.Steps[2].DTMF != "3" || f.Steps[4].Text != "Representative" {
		t.Fatalf("flow %+v", f)
	}

	// Replaying the built flow against the same call gets through the same way.
	r, err := NewReplayer(f, ReplayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(0, 0)
	var actions []Action
	actions = append(actions, r.Start(t0).Actions...)
	actions = append(actions, r.Tick(t0.Add(2*time.Second)).Actions...)
	for _, ev := range rec.Path {
		if ev.Kind == PathHeard && r.State() == ReplayRunning {
			actions = append(actions, r.Heard(t0.Add(3*time.Second), ev.Text).Actions...)
		}
	}
	actions = append(actions, r.HumanConfirmed(t0.Add(10*time.Second)).Actions...)
	if got := kinds(actions); got != "wait:,listen:Thank you for calling Acme Bank. For balances press 1. To dispute a charge, press 3.,dtmf:3,listen:Please say representative or enter your card number.,speak:Representative,expect_hold:,transfer:" {
		t.Fatalf("replay of learned flow: %s", got)
	}
}

func TestLearnUpdatesCounts(t *testing.T) {
	now := time.Unix(1_700_001_000, 0)
	rec := successfulCall()
	f, changed, err := Learn(nil, rec, true, now)
	if err != nil || !changed {
		t.Fatal(err)
	}
	f.ID = "flow1"
	f.Stale = true
	later := now.Add(time.Hour)
	f2, changed, err := Learn(&f, rec, true, later)
	if err != nil || !changed || f2.SuccessCount != 2 || f2.Stale || !f2.LastVerifiedAt.Equal(later) || f2.ID != "flow1" {
		t.Fatalf("verify: %+v %v", f2, err)
	}
	f3, _, _ := Learn(&f2, rec, false, later)
	if f3.FailCount != 1 || f3.SuccessCount != 2 || len(f3.Steps) != len(f2.Steps) {
		t.Fatalf("failure: %+v", f3)
	}
	// The menu changed: key 4 now. The flow takes the new path.
	rec.Path[3].Digits = "4"
	f4, _, err := Learn(&f3, rec, true, later)
	if err != nil || f4.Steps[2].DTMF != "4" || f4.SuccessCount != 3 {
		t.Fatalf("changed path: %+v %v", f4, err)
	}
	if err := ValidateFlow(f4); err != nil {
		t.Fatal(err)
	}
	if _, changed, _ := Learn(nil, rec, false, now); changed {
		t.Fatal("a failed call without a flow created one")
	}
	if _, err := BuildFlow(CallRecord{Number: "+1", Path: []PathEvent{{Kind: PathHeard, Text: "hi"}}}, now); err == nil {
		t.Fatal("built a flow from a call that did nothing")
	}
}
