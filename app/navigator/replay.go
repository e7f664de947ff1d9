package navigator

import (
	"fmt"
	"strings"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// Replay defaults.
const (
	// DefaultWaitStep is a WAIT step's length when the flow gives none.
	DefaultWaitStep = 3 * time.Second
	// DefaultListenTimeout bounds a LISTEN step when the flow gives none.
	DefaultListenTimeout = 20 * time.Second
	// DefaultExpectThreshold is the share of the expected prompt's words that must be heard.
	DefaultExpectThreshold = 0.6
)

// ReplayConfig tunes replay; zero fields take defaults.
type ReplayConfig struct {
	ListenTimeout   time.Duration
	ExpectThreshold float64
}

// ReplayState is where a replay is.
type ReplayState string

// Replay states.
const (
	ReplayRunning    ReplayState = "running"
	ReplayHolding    ReplayState = "holding"    // at a HOLD step: the detectors decide
	ReplayDone       ReplayState = "done"       // TRANSFER reached
	ReplayMismatched ReplayState = "mismatched" // the flow no longer fits; fall back
)

// StepInfo is an ivr_step event's data.
type StepInfo struct {
	StepID      string
	StepType    app.StepType
	Description string
}

// EventData is the data of an ivr_step event: step_id, step_type, description.
func (s StepInfo) EventData() map[string]any {
	return map[string]any{"step_id": s.StepID, "step_type": string(s.StepType), "description": s.Description}
}

// Mismatch says what the flow expected and what was heard instead; the engine marks the flow
// stale (app.CallFlow.Stale) and falls back to the matcher or the LLM.
type Mismatch struct {
	StepID   string
	Expected string
	Heard    string
	Score    float64
	Reason   string // "prompt_differs", "listen_timeout", "menu_at_hold"
}

// Output is what one input produced: actions to execute in order, ivr_step events to emit,
// a mismatch if any, and when to call Tick next (zero: no timer needed).
type Output struct {
	Actions  []Action
	Steps    []StepInfo
	Mismatch *Mismatch
	Deadline time.Time
	State    ReplayState
}

// Replayer walks a call flow. The engine drives it from the call goroutine: Start once, then
// Heard for each final transcript, Tick when Deadline passes, HumanConfirmed when the human
// detector confirmed a person at a HOLD step. It is not safe for concurrent use.
type Replayer struct {
	flow     app.CallFlow
	byID     map[string]int
	cfg      ReplayConfig
	cur      int
	state    ReplayState
	deadline time.Time
	heard    []string // transcripts since the current step began
}

// NewReplayer validates flow and prepares a replay of it.
func NewReplayer(flow app.CallFlow, cfg ReplayConfig) (*Replayer, error) {
	if err := ValidateFlow(flow); err != nil {
		return nil, fmt.Errorf("new replayer: %w", err)
	}
	if cfg.ListenTimeout <= 0 {
		cfg.ListenTimeout = DefaultListenTimeout
	}
	if cfg.ExpectThreshold <= 0 {
		cfg.ExpectThreshold = DefaultExpectThreshold
	}
	r := &Replayer{flow: flow, byID: map[string]int{}, cfg: cfg, state: ReplayRunning}
	for i, s := range flow.Steps {
		r.byID[s.ID] = i
	}
	return r, nil
}

// State is where the replay is.
func (r *Replayer) State() ReplayState { return r.state }

// Current is the step being executed.
func (r *Replayer) Current() app.Step { return r.flow.Steps[r.cur] }

// Start enters the first step.
func (r *Replayer) Start(now time.Time) Output {
	var out Output
	r.enter(now, 0, &out)
	return r.finish(out)
}

// Heard feeds a final transcript of the company side.
func (r *Replayer) Heard(now time.Time, text string) Output {
	var out Output
	text = strings.TrimSpace(text)
	if text == "" || r.state == ReplayDone || r.state == ReplayMismatched {
		return r.finish(out)
	}
	step := r.flow.Steps[r.cur]
	if r.state == ReplayHolding {
		// A new menu where the flow expected hold: the company changed its tree.
		if opts := ParseMenu(text); len(opts) > 0 {
			r.mismatch(&out, Mismatch{StepID: step.ID, Heard: text, Reason: "menu_at_hold"})
		}
		return r.finish(out)
	}
	r.heard = append(r.heard, text)
	if step.Type != app.StepListen {
		return r.finish(out)
	}
	all := strings.Join(r.heard, " ")
	if step.Expect == "" {
		r.advance(now, &out)
		return r.finish(out)
	}
	score := coverage(step.Expect, all)
	if score >= r.cfg.ExpectThreshold {
		r.advance(now, &out)
		return r.finish(out)
	}
	// Heard at least as many words as expected and still no match: the prompt changed.
	if len(words(all)) >= len(words(step.Expect)) {
		r.mismatch(&out, Mismatch{StepID: step.ID, Expected: step.Expect, Heard: all, Score: score, Reason: "prompt_differs"})
	}
	return r.finish(out)
}

// Tick tells the replayer the time; it acts when a WAIT ends or a LISTEN times out.
func (r *Replayer) Tick(now time.Time) Output {
	var out Output
	if r.state != ReplayRunning || r.deadline.IsZero() || now.Before(r.deadline) {
		return r.finish(out)
	}
	step := r.flow.Steps[r.cur]
	switch step.Type {
	case app.StepWait:
		r.advance(now, &out)
	case app.StepListen:
		if step.Expect == "" || len(r.heard) == 0 && step.Timeout != nil {
			// Nothing required, or an explicit timeout on a silent prompt: go on, as the
			// flow was recorded doing.
			r.advance(now, &out)
		} else {
			all := strings.Join(r.heard, " ")
			r.mismatch(&out, Mismatch{StepID: step.ID, Expected: step.Expect, Heard: all, Score: coverage(step.Expect, all), Reason: "listen_timeout"})
		}
	}
	return r.finish(out)
}

// HumanConfirmed moves past a HOLD step once the human detector (with the judge) confirmed
// a person; the next step is normally TRANSFER.
func (r *Replayer) HumanConfirmed(now time.Time) Output {
	var out Output
	if r.state == ReplayHolding {
		r.state = ReplayRunning
		r.advance(now, &out)
	}
	return r.finish(out)
}

func (r *Replayer) finish(out Output) Output {
	out.State = r.state
	if r.state == ReplayRunning {
		out.Deadline = r.deadline
	}
	return out
}

func (r *Replayer) mismatch(out *Output, m Mismatch) {
	r.state = ReplayMismatched
	r.deadline = time.Time{}
	out.Mismatch = &m
	out.Actions = append(out.Actions, Action{Kind: ActFallback, StepID: m.StepID, Reason: m.Reason})
}

func (r *Replayer) advance(now time.Time, out *Output) {
	if r.flow.Steps[r.cur].Type == app.StepListen {
		r.heard = nil
	}
	next := r.flow.Steps[r.cur].NextStep
	if next == "" {
		r.state = ReplayDone
		return
	}
	r.enter(now, r.byID[next], out)
}

// enter runs steps from i: DTMF and SPEAK complete at once (their actions are queued in
// order), WAIT and LISTEN set a deadline, HOLD hands over, TRANSFER ends.
func (r *Replayer) enter(now time.Time, i int, out *Output) {
	for {
		r.cur = i
		step := r.flow.Steps[i]
		r.deadline = time.Time{}
		out.Steps = append(out.Steps, StepInfo{StepID: step.ID, StepType: step.Type, Description: step.Description})
		switch step.Type {
		case app.StepWait:
			d := stepTimeout(step, DefaultWaitStep)
			r.deadline = now.Add(d)
			out.Actions = append(out.Actions, Action{Kind: ActWait, Wait: d, StepID: step.ID})
			return
		case app.StepListen:
			d := stepTimeout(step, r.cfg.ListenTimeout)
			// What was heard during a preceding WAIT may already be this prompt.
			if len(r.heard) > 0 {
				all := strings.Join(r.heard, " ")
				if step.Expect == "" || coverage(step.Expect, all) >= r.cfg.ExpectThreshold {
					r.heard = nil
					if step.NextStep == "" {
						r.state = ReplayDone
						return
					}
					i = r.byID[step.NextStep]
					continue
				}
			}
			r.deadline = now.Add(d)
			out.Actions = append(out.Actions, Action{Kind: ActListen, Wait: d, Text: step.Expect, StepID: step.ID})
			return
		case app.StepDTMF:
			r.heard = nil
			out.Actions = append(out.Actions, Action{Kind: ActDTMF, Digits: step.DTMF, StepID: step.ID})
		case app.StepSpeak:
			r.heard = nil
			out.Actions = append(out.Actions, Action{Kind: ActSpeak, Text: step.Text, StepID: step.ID})
		case app.StepHold:
			r.heard = nil
			r.state = ReplayHolding
			out.Actions = append(out.Actions, Action{Kind: ActExpectHold, StepID: step.ID})
			return
		case app.StepTransfer:
			r.state = ReplayDone
			out.Actions = append(out.Actions, Action{Kind: ActTransfer, StepID: step.ID})
			return
		}
		if step.NextStep == "" {
			r.state = ReplayDone
			return
		}
		i = r.byID[step.NextStep]
	}
}

func stepTimeout(s app.Step, def time.Duration) time.Duration {
	if s.Timeout != nil && *s.Timeout > 0 {
		return time.Duration(*s.Timeout * float64(time.Second))
	}
	return def
}
