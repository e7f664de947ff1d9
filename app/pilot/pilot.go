// Package pilot is the call engine's navigator: it puts app/navigator's parts (flow replay,
// the menu matcher, LLM tool calling, the transcript judge, wait estimates and learning)
// behind the app.Navigator interface the call goroutine drives. The policy lives here: replay
// a stored flow; when the company says something the flow did not expect, report the flow
// stale and fall back to the matcher, then the LLM; without a flow, matcher then LLM.
package pilot

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/navigator"
)

// DefaultSettle is how long a menu that the matcher cannot decide on may keep talking
// before the LLM is asked (the rest of the options may still come).
const DefaultSettle = 2 * time.Second

// Config builds the navigators of calls. Zero fields take the navigator package's defaults.
type Config struct {
	Matcher navigator.MatcherConfig
	Judge   navigator.JudgeConfig
	Replay  navigator.ReplayConfig
	// LLM, when set, decides what the matcher cannot; nil means matcher only.
	LLM *navigator.LLMNavigator
	// PerCaller converts an announced queue position into a wait (navigator.DefaultPerCaller).
	PerCaller time.Duration
	// Settle is DefaultSettle when zero.
	Settle time.Duration
}

// New returns the factory main passes as app.EngineConfig.Navigator.
func New(cfg Config) app.NavigatorFactory {
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	matcher := navigator.NewMatcher(cfg.Matcher)
	judge := navigator.NewJudge(cfg.Judge)
	return func(call app.NavCall) (app.Navigator, error) {
		log := call.Log
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		n := &nav{cfg: cfg, call: call, matcher: matcher, judge: judge, log: log, mode: modeMatch}
		if call.Flow != nil {
			r, err := navigator.NewReplayer(*call.Flow, cfg.Replay)
			if err != nil {
				log.Warn("stored call flow cannot be replayed; menus are matched instead", "flow", call.Flow.ID, "err", err)
			} else {
				n.replay, n.mode = r, modeReplay
			}
		}
		if cfg.LLM != nil {
			n.llm = cfg.LLM.NewSession(navigator.CallInfo{CallID: call.CallID, Intent: call.Intent, Company: call.Company, Number: call.Number})
		}
		return n, nil
	}
}

type mode string

const (
	modeReplay mode = "replay"
	modeMatch  mode = "match"
	modeDone   mode = "done" // holding or a person: no more menu decisions
)

// nav is one call's navigator. The call goroutine calls its methods; think runs in another
// goroutine and touches only the LLM session and fields under mu.
type nav struct {
	cfg     Config
	call    app.NavCall
	matcher *navigator.Matcher
	judge   *navigator.Judge
	log     *slog.Logger

	mu       sync.Mutex
	mode     mode
	replay   *navigator.Replayer
	llm      *navigator.Session
	pending  []string             // heard since the last action (the menu being spoken)
	unsent   []string             // heard and not yet shown to the LLM
	menus    int                  // options in the last ivr_menu_detected, to report growing menus once
	answered navigator.MenuMemory // menus answered and the choices made, to escalate on repeats
	settle   time.Time
	path     []navigator.PathEvent
}

var _ app.Navigator = (*nav)(nil)

func (n *nav) Start(now time.Time) app.NavOutput {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.replay == nil {
		return app.NavOutput{}
	}
	return n.replayOut(n.replay.Start(now))
}

func (n *nav) Heard(now time.Time, text string) app.NavOutput {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mode == modeDone {
		return app.NavOutput{}
	}
	n.path = append(n.path, navigator.PathEvent{Kind: navigator.PathHeard, Text: text, At: now})
	n.pending = append(n.pending, text)
	n.unsent = append(n.unsent, text)
	if n.mode == modeReplay {
		out := n.replayOut(n.replay.Heard(now, text))
		if n.mode == modeReplay || len(out.Actions) > 0 {
			return out
		}
		// The flow no longer fits: decide on what was heard with the matcher or the LLM.
		more := n.decide(now)
		out.Actions, out.Events = append(out.Actions, more.Actions...), append(out.Events, more.Events...)
		out.Deadline, out.Think = more.Deadline, more.Think
		return out
	}
	return n.decide(now)
}

func (n *nav) Tick(now time.Time) app.NavOutput {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch n.mode {
	case modeReplay:
		out := n.replayOut(n.replay.Tick(now))
		if n.mode == modeMatch && len(out.Actions) == 0 {
			more := n.decide(now)
			out.Actions, out.Events, out.Deadline, out.Think = more.Actions, append(out.Events, more.Events...), more.Deadline, more.Think
		}
		return out
	case modeMatch:
		if !n.settle.IsZero() && !now.Before(n.settle) {
			n.settle = time.Time{}
			return n.ask()
		}
	}
	return app.NavOutput{}
}

// decide runs the matcher over the menu heard since the last action; when it cannot choose,
// the LLM is asked once the company paused (Settle).
func (n *nav) decide(now time.Time) app.NavOutput {
	var out app.NavOutput
	text := strings.Join(n.pending, " ")
	d := n.matcher.Decide(n.call.Intent, text)
	if len(d.Options) > 0 && len(d.Options) != n.menus {
		n.menus = len(d.Options)
		out.Events = append(out.Events, app.NavEvent{Type: app.EventIVRMenuDetected, Data: navigator.MenuEventData(text, d.Options)})
	}
	tried := n.answered.Tried(d.Options)
	if len(tried) > 0 {
		// The company came back with a menu we answered: do not loop on the same choice.
		d.Choice, d.OK = n.matcher.Escalate(n.call.Intent, d.Options, tried)
		if !d.OK && len(d.Options) > 0 {
			out.Events = append(out.Events, app.NavEvent{Type: app.EventNavigatorDecision, Data: map[string]any{
				"source": "matcher", "escalated": true, "tried": optionNames(tried), "intent": n.call.Intent,
				"reason": "the menu came back and every option worth choosing was tried",
			}})
		}
	}
	if d.OK {
		a := d.Choice.Action()
		data := map[string]any{
			"source": "matcher", "key": d.Choice.Option.Key, "say": d.Choice.Option.Say, "label": d.Choice.Option.Label,
			"score": d.Choice.Score, "fallback": d.Choice.Fallback, "reason": d.Choice.Reason, "intent": n.call.Intent,
		}
		if len(tried) > 0 {
			data["escalated"], data["tried"] = true, optionNames(tried)
		}
		n.answered.Chose(d.Options, d.Choice.Option)
		out.Events = append(out.Events, app.NavEvent{Type: app.EventNavigatorDecision, Data: data})
		out.Actions = append(out.Actions, toApp(a))
		n.actedLocked()
		return out
	}
	if n.llm != nil {
		n.settle = now.Add(n.cfg.Settle)
		out.Deadline = n.settle
	}
	return out
}

// optionNames lists options as decisions name them: the words said, or the key pressed.
func optionNames(opts []navigator.MenuOption) []string {
	out := make([]string, 0, len(opts))
	for _, o := range opts {
		if o.Key != "" {
			out = append(out, o.Key)
		} else {
			out = append(out, o.Say)
		}
	}
	return out
}

// ask hands the menu to the LLM in a Think.
func (n *nav) ask() app.NavOutput {
	if n.llm == nil {
		return app.NavOutput{}
	}
	texts := n.unsent
	n.unsent = nil
	return app.NavOutput{Think: func(ctx context.Context) app.NavOutput { return n.think(ctx, texts) }}
}

// think asks the model; it runs outside the call goroutine (one at a time).
func (n *nav) think(ctx context.Context, texts []string) app.NavOutput {
	for _, t := range texts {
		n.llm.Heard(t)
	}
	dec, err := n.llm.Decide(ctx)
	var out app.NavOutput
	for _, ch := range dec.Choices {
		out.Events = append(out.Events, app.NavEvent{Type: app.EventNavigatorDecision, Data: ch.EventData()})
	}
	if err != nil {
		n.log.Warn("llm navigator gave no decision", "err", err)
		out.Events = append(out.Events, app.NavEvent{Type: app.EventNavigatorDecision, Data: map[string]any{"source": "llm", "error": err.Error()}})
		return out
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mode == modeDone {
		return out
	}
	a := toApp(dec.Action)
	out.Actions = append(out.Actions, a)
	if a.Kind == app.NavDTMF || a.Kind == app.NavSpeak {
		n.actedLocked()
	}
	return out
}

// actedLocked starts a new menu after a key press or a spoken answer.
func (n *nav) actedLocked() {
	n.pending, n.menus, n.settle = nil, 0, time.Time{}
}

// replayOut converts a replay output; a mismatch switches to matching.
func (n *nav) replayOut(o navigator.Output) app.NavOutput {
	var out app.NavOutput
	for _, s := range o.Steps {
		out.Events = append(out.Events, app.NavEvent{Type: app.EventIVRStep, Data: s.EventData()})
	}
	for _, a := range o.Actions {
		if a.Kind == navigator.ActFallback {
			continue
		}
		out.Actions = append(out.Actions, toApp(a))
		if a.Kind == navigator.ActDTMF || a.Kind == navigator.ActSpeak {
			n.actedLocked()
		}
	}
	if m := o.Mismatch; m != nil {
		out.Stale = &app.FlowMismatch{StepID: m.StepID, Expected: m.Expected, Heard: m.Heard, Reason: m.Reason}
		n.mode = modeMatch
		n.log.Info("call flow no longer fits; falling back to the matcher", "step_id", m.StepID, "reason", m.Reason)
	}
	if o.State == navigator.ReplayHolding || o.State == navigator.ReplayDone {
		// Prompts heard from here on are not menus the flow must match.
		n.pending = nil
	}
	out.Deadline = o.Deadline
	return out
}

func toApp(a navigator.Action) app.NavAction {
	return app.NavAction{Kind: app.NavActionKind(a.Kind), Digits: a.Digits, Text: a.Text, Wait: a.Wait,
		Confidence: a.Confidence, Reason: a.Reason, StepID: a.StepID}
}

func (n *nav) Did(now time.Time, a app.NavAction) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch a.Kind {
	case app.NavDTMF:
		n.path = append(n.path, navigator.PathEvent{Kind: navigator.PathDTMF, Digits: a.Digits, At: now})
	case app.NavSpeak:
		n.path = append(n.path, navigator.PathEvent{Kind: navigator.PathSpeak, Text: a.Text, At: now})
	case app.NavWait:
		n.path = append(n.path, navigator.PathEvent{Kind: navigator.PathWait, Wait: a.Wait, At: now})
	}
}

func (n *nav) Holding(now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mode = modeDone
	n.path = append(n.path, navigator.PathEvent{Kind: navigator.PathHold, At: now})
}

func (n *nav) HumanConfirmed(now time.Time) app.NavOutput {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.path = append(n.path, navigator.PathEvent{Kind: navigator.PathHuman, At: now})
	var out app.NavOutput
	if n.replay != nil && n.mode != modeMatch {
		out = n.replayOut(n.replay.HumanConfirmed(now))
		out.Actions = nil // the engine greets and transfers itself
	}
	n.mode = modeDone
	return out
}

func (n *nav) Judge(onset time.Time, heard []app.HeardText) app.Judgement {
	v := n.judge.Judge(navigator.Candidate{Onset: onset}, toHeard(heard))
	return app.Judgement{Verdict: string(v.Kind), Confidence: v.Confidence, Reason: v.Reason, Phrase: v.Phrase}
}

func (n *nav) JudgeReply(reply string, earlier []app.HeardText) app.Judgement {
	v := n.judge.JudgeLiveReply(reply, toHeard(earlier))
	return app.Judgement{Verdict: string(v.Kind), Confidence: v.Confidence, Reason: v.Reason, Phrase: v.Phrase}
}

func toHeard(in []app.HeardText) []navigator.Heard {
	out := make([]navigator.Heard, len(in))
	for i, h := range in {
		out[i] = navigator.Heard{Text: h.Text, Start: h.Start, End: h.End}
	}
	return out
}

func (n *nav) WaitEstimate(text string) (float64, map[string]any, bool) {
	w, ok := navigator.ParseWaitEstimate(text, n.cfg.PerCaller)
	if !ok {
		return 0, nil, false
	}
	return w.Wait.Seconds(), w.EventData(), true
}

func (n *nav) Learn(now time.Time, success bool) (app.CallFlow, bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	rec := navigator.CallRecord{Number: n.call.Number, Company: n.call.Company, Intent: n.call.Intent, Path: n.path}
	return navigator.Learn(n.call.Flow, rec, success, now)
}
