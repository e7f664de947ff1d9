package navigator

import "time"

// ActionKind is what the navigator asks the engine to do.
type ActionKind string

// Actions. The engine executes a list of actions in order.
const (
	// ActDTMF: send Digits on the outbound channel (and emit ivr_dtmf_sent with StepID).
	ActDTMF ActionKind = "dtmf"
	// ActSpeak: synthesize Text and play it into the call.
	ActSpeak ActionKind = "speak"
	// ActWait: do nothing for Wait (or until something is heard), then report back.
	ActWait ActionKind = "wait"
	// ActListen: wait for the company to say something (a prompt); Wait bounds it.
	ActListen ActionKind = "listen"
	// ActExpectHold: navigation is done; hold music or silence should follow. Hand over to
	// the hold and human detectors.
	ActExpectHold ActionKind = "expect_hold"
	// ActHumanReported: the LLM believes a person is on the line (Confidence, Reason);
	// the engine runs it through the human detector, never transfers on this alone.
	ActHumanReported ActionKind = "human_reported"
	// ActTransfer: connect the user's device.
	ActTransfer ActionKind = "transfer"
	// ActHangup: give up on the call, with Reason.
	ActHangup ActionKind = "hangup"
	// ActFallback: the flow being replayed no longer fits; use the matcher or the LLM.
	ActFallback ActionKind = "fallback"
)

// Action is one instruction for the engine.
type Action struct {
	Kind       ActionKind
	Digits     string
	Text       string
	Wait       time.Duration
	Confidence float64
	Reason     string
	StepID     string // the call-flow step that asked for it, for ivr_dtmf_sent
}
