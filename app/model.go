package app

import "time"

// CallStatus is where a call is in its life; the API and the dashboard show it verbatim.
type CallStatus string

// Call statuses, in the order a hold_slayer call normally passes through them.
const (
	StatusTrying        CallStatus = "trying"
	StatusRinging       CallStatus = "ringing"
	StatusConnected     CallStatus = "connected"
	StatusNavigating    CallStatus = "navigating"
	StatusOnHold        CallStatus = "on_hold"
	StatusHumanDetected CallStatus = "human_detected"
	StatusTransferring  CallStatus = "transferring"
	StatusTransferred   CallStatus = "transferred"
	StatusEnded         CallStatus = "ended"
	StatusFailed        CallStatus = "failed"
)

// Terminal reports whether no further transition can happen, so commands can be refused.
func (s CallStatus) Terminal() bool { return s == StatusEnded || s == StatusFailed }

// Mode is what the user asked Hold Slayer to do with a call.
type Mode string

// The three call modes of the API contract.
const (
	ModeDirect     Mode = "direct"
	ModeHoldSlayer Mode = "hold_slayer"
	ModeAIAssisted Mode = "ai_assisted"
)

// Valid reports whether m is one of the modes the API accepts.
func (m Mode) Valid() bool { return m == ModeDirect || m == ModeHoldSlayer || m == ModeAIAssisted }

// Services are the optional extras a caller can switch on per call.
type Services struct {
	Recording     bool `json:"recording"`
	Transcription bool `json:"transcription"`
}

// CallRequest is a request to place a call, as validated by the API.
type CallRequest struct {
	Number     string   // E.164, e.g. +18005551234
	Mode       Mode     // direct, hold_slayer or ai_assisted
	Intent     string   // what the user wants from the company, for navigation
	Device     string   // device id or name to transfer to; empty means best online device
	CallFlowID string   // stored flow to replay; empty means look one up by number
	Services   Services // recording, transcription
	// InboundChannel is set when the user's own phone started the call through the
	// dialplan (Stasis(holdslayer,dial,...)): that channel waits in a holding bridge.
	InboundChannel string
}

// Call is a call as stored and reported: the live engine state or a finished call's record.
type Call struct {
	ID         string
	Number     string
	Mode       Mode
	Intent     string
	Status     CallStatus
	Device     string
	CallFlowID string
	Company    string
	Services   Services
	StartedAt  time.Time
	AnsweredAt *time.Time
	EndedAt    *time.Time
	// HoldSeconds is the time spent on hold so far (or in total, for an ended call).
	HoldSeconds float64
	EndReason   string
	// AudioType is the current (or last) smoothed audio class heard from the company.
	AudioType string
	// EstimatedWaitSeconds is set when an announcement told us the expected wait.
	EstimatedWaitSeconds *float64
	// TranscriptExcerpt is the most recent company speech, for list views.
	TranscriptExcerpt string
}

// Duration is the call's age, or its length once it ended.
func (c Call) Duration(now time.Time) time.Duration {
	end := now
	if c.EndedAt != nil {
		end = *c.EndedAt
	}
	if end.Before(c.StartedAt) {
		return 0
	}
	return end.Sub(c.StartedAt)
}

// StepType is one kind of call-flow step.
type StepType string

// Step types of the seed plus SPEAK.
const (
	StepWait     StepType = "WAIT"
	StepListen   StepType = "LISTEN"
	StepDTMF     StepType = "DTMF"
	StepHold     StepType = "HOLD"
	StepTransfer StepType = "TRANSFER"
	StepSpeak    StepType = "SPEAK"
)

// Step is one node of a call flow; NextStep links them into a path ending in a terminal step.
type Step struct {
	ID          string   `json:"id"`
	Type        StepType `json:"type"`
	Description string   `json:"description,omitempty"`
	Timeout     *float64 `json:"timeout,omitempty"`   // seconds
	DTMF        string   `json:"dtmf,omitempty"`      // keys for DTMF steps
	Text        string   `json:"text,omitempty"`      // phrase for SPEAK steps
	Expect      string   `json:"expect,omitempty"`    // expected prompt text on LISTEN steps
	NextStep    string   `json:"next_step,omitempty"` // empty on terminal steps
}

// CallFlow is a remembered way through one company's phone menu.
type CallFlow struct {
	ID             string
	Name           string
	Company        string
	PhoneNumber    string
	Tags           []string
	Steps          []Step
	SuccessCount   int
	FailCount      int
	Stale          bool // set when a replay heard something the flow did not expect
	LastVerifiedAt *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Device is one of the user's phones that a call can be transferred to.
type Device struct {
	ID           string
	Name         string
	Type         string // sip_phone, softphone, cell, ...
	SIPURI       string
	Endpoint     string // explicit Asterisk dial string, e.g. PJSIP/robert; optional
	Priority     int    // higher rings first
	Capabilities []string
	IsOnline     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TranscriptSegment is one utterance heard or said on a call.
type TranscriptSegment struct {
	ID      int64
	CallID  string
	Speaker string // company, agent, user, holdslayer
	Text    string
	IsFinal bool
	StartAt time.Time
	EndAt   time.Time
}

// Recording is one stored audio file of a call.
type Recording struct {
	ID        string
	CallID    string
	Kind      string // mixed, company, ...
	Path      string // file path in the recordings directory
	Duration  float64
	FileSize  int64
	CreatedAt time.Time
}

// Page selects a window of a listing.
type Page struct {
	Limit  int
	Offset int
}

// CallFilter narrows call history listings.
type CallFilter struct {
	Number  string
	Company string
	Status  CallStatus
	From    *time.Time
	To      *time.Time
}
