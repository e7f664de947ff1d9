package navigator

import (
	"fmt"
	"strings"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// PathKind is one kind of thing a call did on its way to a person.
type PathKind string

// Path event kinds the engine records while navigating.
const (
	PathHeard PathKind = "heard" // a company prompt (final transcript)
	PathDTMF  PathKind = "dtmf"  // keys pressed
	PathSpeak PathKind = "speak" // words said into the menu
	PathWait  PathKind = "wait"  // a deliberate pause
	PathHold  PathKind = "hold"  // hold began
	PathHuman PathKind = "human" // a person was confirmed
)

// PathEvent is one recorded navigation event.
type PathEvent struct {
	Kind   PathKind
	Text   string        // heard prompt or spoken words
	Digits string        // DTMF keys
	Wait   time.Duration // WAIT length
	At     time.Time
}

// CallRecord is what a call did, in order, as the engine recorded it.
type CallRecord struct {
	Number  string
	Company string
	Intent  string
	Path    []PathEvent
}

// maxExpectWords bounds the expected prompt stored on a LISTEN step.
const maxExpectWords = 30

// BuildFlow turns a successful call's path into a call flow for its number: each prompt
// heard before an action becomes a LISTEN step expecting (the end of) that prompt, each key
// press a DTMF step, spoken words a SPEAK step, pauses WAIT steps, hold a HOLD step, and the
// flow ends in TRANSFER. The result passes ValidateFlow.
func BuildFlow(rec CallRecord, now time.Time) (app.CallFlow, error) {
	var steps []app.Step
	var pending []string // prompts heard since the last action
	n := map[app.StepType]int{}
	add := func(s app.Step) {
		n[s.Type]++
		s.ID = fmt.Sprintf("%s_%d", strings.ToLower(string(s.Type)), n[s.Type])
		steps = append(steps, s)
	}
	flushListen := func() {
		if len(pending) == 0 {
			return
		}
		expect := lastWords(strings.Join(pending, " "), maxExpectWords)
		add(app.Step{Type: app.StepListen, Description: "Prompt: " + expect, Expect: expect})
		pending = nil
	}
	held := false
	for _, ev := range rec.Path {
		switch ev.Kind {
		case PathHeard:
			if !held && strings.TrimSpace(ev.Text) != "" {
				pending = append(pending, strings.TrimSpace(ev.Text))
			}
		case PathDTMF:
			if held || !validDigits(ev.Digits) {
				continue
			}
			flushListen()
			add(app.Step{Type: app.StepDTMF, DTMF: ev.Digits, Description: "Press " + ev.Digits})
		case PathSpeak:
			if held || strings.TrimSpace(ev.Text) == "" {
				continue
			}
			flushListen()
			add(app.Step{Type: app.StepSpeak, Text: strings.TrimSpace(ev.Text), Description: "Say " + strings.TrimSpace(ev.Text)})
		case PathWait:
			if held || ev.Wait <= 0 {
				continue
			}
			flushListen()
			secs := ev.Wait.Seconds()
			add(app.Step{Type: app.StepWait, Timeout: &secs, Description: fmt.Sprintf("Wait %.0f s", secs)})
		case PathHold:
			if held {
				continue
			}
			pending = nil // hold announcements are not menu prompts
			held = true
			add(app.Step{Type: app.StepHold, Description: "Wait on hold for an agent"})
		case PathHuman:
			pending = nil
		}
	}
	if n[app.StepDTMF]+n[app.StepSpeak] == 0 && !held {
		return app.CallFlow{}, fmt.Errorf("build flow for %s: the call did not navigate or hold: %w", rec.Number, app.ErrInvalid)
	}
	add(app.Step{Type: app.StepTransfer, Description: "Connect to user"})
	for i := range steps[:len(steps)-1] {
		steps[i].NextStep = steps[i+1].ID
	}
	name := rec.Company
	if name == "" {
		name = rec.Number
	}
	if rec.Intent != "" {
		name += " — " + rec.Intent
	}
	verified := now
	f := app.CallFlow{
		Name:           name,
		Company:        rec.Company,
		PhoneNumber:    rec.Number,
		Tags:           []string{"learned"},
		Steps:          steps,
		SuccessCount:   1,
		LastVerifiedAt: &verified,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if err := ValidateFlow(f); err != nil {
		return app.CallFlow{}, fmt.Errorf("build flow for %s: %w", rec.Number, err)
	}
	return f, nil
}

// Learn folds a finished call into the flow it used (existing may be nil). A success along
// the same keys and words counts as a verification; a success along a different path
// replaces the steps (the menu changed) and clears Stale; a failure counts against the flow
// without changing it. changed says whether the returned flow must be saved; with no
// existing flow a successful call yields a new flow (ID empty: the store assigns one).
func Learn(existing *app.CallFlow, rec CallRecord, success bool, now time.Time) (flow app.CallFlow, changed bool, err error) {
	if existing == nil {
		if !success {
			return app.CallFlow{}, false, nil
		}
		f, err := BuildFlow(rec, now)
		if err != nil {
			return app.CallFlow{}, false, fmt.Errorf("learn: %w", err)
		}
		return f, true, nil
	}
	f := *existing
	f.UpdatedAt = now
	if !success {
		f.FailCount++
		return f, true, nil
	}
	built, err := BuildFlow(rec, now)
	if err != nil {
		// Reached a person without navigating: still a success for the flow.
		f.SuccessCount++
		f.LastVerifiedAt = &now
		return f, true, nil
	}
	if actionSignature(built.Steps) != actionSignature(f.Steps) {
		f.Steps = built.Steps
	}
	f.SuccessCount++
	f.Stale = false
	f.LastVerifiedAt = &now
	return f, true, nil
}

// actionSignature is the sequence of keys, words and holds a flow performs.
func actionSignature(steps []app.Step) string {
	var b strings.Builder
	for _, s := range steps {
		switch s.Type {
		case app.StepDTMF:
			b.WriteString("D" + s.DTMF + ";")
		case app.StepSpeak:
			b.WriteString("S" + strings.Join(words(s.Text), " ") + ";")
		case app.StepHold:
			b.WriteString("H;")
		}
	}
	return b.String()
}

func lastWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[len(f)-n:]
	}
	return strings.Join(f, " ")
}
