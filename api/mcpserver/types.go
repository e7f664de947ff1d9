package mcpserver

// These types are the tools' typed inputs and outputs. Outputs mirror the REST API's JSON
// field for field, so an assistant and a REST client see the same shapes; the jsonschema
// tags become the descriptions a model reads.

// CallIDInput names one call.
type CallIDInput struct {
	CallID string `json:"call_id" jsonschema:"the call's id as returned by place_call or start_hold_slayer, e.g. call_abc123"`
}

// PlaceCallInput is place_call's arguments.
type PlaceCallInput struct {
	Number        string `json:"number" jsonschema:"the company's phone number in E.164 form: + then country code and number, digits only, e.g. +18005551234"`
	Mode          string `json:"mode,omitempty" jsonschema:"direct (connect the user's phone at once), hold_slayer (navigate the menu, wait on hold, ring the user when a person answers) or ai_assisted (direct plus transcript and recording); default hold_slayer"`
	Intent        string `json:"intent,omitempty" jsonschema:"what the user wants from the company in plain words, used to pick menu options, e.g. 'dispute a card charge from December 15th'"`
	Device        string `json:"device,omitempty" jsonschema:"id or name of the user's device to connect (see list_devices); empty means the best online device"`
	CallFlowID    string `json:"call_flow_id,omitempty" jsonschema:"id of a stored call flow to replay through the phone menu (see list_call_flows); empty means look one up by number"`
	Recording     bool   `json:"recording,omitempty" jsonschema:"record the call audio"`
	Transcription bool   `json:"transcription,omitempty" jsonschema:"transcribe what the company says"`
}

// HoldSlayerInput is start_hold_slayer's arguments.
type HoldSlayerInput struct {
	Number        string `json:"number" jsonschema:"the company's phone number in E.164 form, e.g. +18005551234"`
	Intent        string `json:"intent,omitempty" jsonschema:"what the user wants from the company, used to choose menu options"`
	CallFlowID    string `json:"call_flow_id,omitempty" jsonschema:"id of a stored call flow to replay; empty means look one up by number"`
	TransferTo    string `json:"transfer_to,omitempty" jsonschema:"id or name of the device to ring when a person answers; empty means the best online device"`
	Recording     bool   `json:"recording,omitempty" jsonschema:"record the call audio"`
	Transcription bool   `json:"transcription,omitempty" jsonschema:"transcribe what the company says"`
}

// servicesBody is the REST services object.
type servicesBody struct {
	Recording     bool `json:"recording"`
	Transcription bool `json:"transcription"`
}

// PlacedCall is the answer to placing a call.
type PlacedCall struct {
	CallID    string `json:"call_id" jsonschema:"id to use with every other call tool"`
	Status    string `json:"status" jsonschema:"first status, normally trying"`
	Number    string `json:"number"`
	Mode      string `json:"mode"`
	StartedAt string `json:"started_at,omitempty"`
}

// Classification is one point of a call's audio classification history.
type Classification struct {
	Timestamp  int64   `json:"timestamp" jsonschema:"unix seconds"`
	Type       string  `json:"type" jsonschema:"audio class: silence, ringing, speech, music, dtmf, ..."`
	Confidence float64 `json:"confidence"`
}

// Services are the optional extras of a call.
type Services struct {
	Recording     bool `json:"recording"`
	Transcription bool `json:"transcription"`
}

// CallStatus is a call's full state, as GET /api/calls/{id}.
type CallStatus struct {
	CallID                string           `json:"call_id"`
	Status                string           `json:"status" jsonschema:"trying, ringing, connected, navigating, on_hold, human_detected, transferring, transferred, ended or failed"`
	Number                string           `json:"number"`
	Mode                  string           `json:"mode"`
	Duration              int64            `json:"duration" jsonschema:"seconds since the call started (or its length once ended)"`
	HoldTime              int64            `json:"hold_time" jsonschema:"seconds spent on hold"`
	AudioType             string           `json:"audio_type" jsonschema:"what is heard now: music, speech, silence, ringing, ..."`
	TranscriptExcerpt     string           `json:"transcript_excerpt"`
	ClassificationHistory []Classification `json:"classification_history" jsonschema:"the most recent audio classifications, oldest first (at most 50)"`
	Services              Services         `json:"services"`
	EstimatedWait         *int64           `json:"estimated_wait,omitempty" jsonschema:"seconds of waiting the company announced, when known"`
	Intent                string           `json:"intent,omitempty"`
	Device                string           `json:"device,omitempty"`
	CallFlowID            string           `json:"call_flow_id,omitempty"`
	Company               string           `json:"company,omitempty"`
	StartedAt             string           `json:"started_at"`
	AnsweredAt            string           `json:"answered_at,omitempty"`
	EndedAt               string           `json:"ended_at,omitempty"`
	EndReason             string           `json:"end_reason,omitempty"`
}

// maxHistory caps the classification history handed to a model.
const maxHistory = 50

// CallSummary is one row of list_active_calls.
type CallSummary struct {
	CallID    string `json:"call_id"`
	Status    string `json:"status"`
	Number    string `json:"number"`
	Mode      string `json:"mode"`
	Duration  int64  `json:"duration"`
	HoldTime  int64  `json:"hold_time"`
	AudioType string `json:"audio_type,omitempty"`
	Intent    string `json:"intent,omitempty"`
	Company   string `json:"company,omitempty"`
	Device    string `json:"device,omitempty"`
	StartedAt string `json:"started_at"`
	EndedAt   string `json:"ended_at,omitempty"`
	EndReason string `json:"end_reason,omitempty"`
}

// ActiveCalls is list_active_calls's answer.
type ActiveCalls struct {
	Calls []CallSummary `json:"calls"`
	Total int           `json:"total"`
}

// NoInput is the argument of tools that take none.
type NoInput struct{}

// TransferInput is transfer_call's arguments.
type TransferInput struct {
	CallID string `json:"call_id" jsonschema:"the call to connect to the user"`
	Device string `json:"device,omitempty" jsonschema:"id or name of the device to ring (see list_devices); empty means the best online device"`
}

// TransferResult acknowledges a transfer that has started.
type TransferResult struct {
	CallID string `json:"call_id"`
	Device string `json:"device"`
	Status string `json:"status" jsonschema:"transferring; wait_for_call_event with transfer_complete to know it is done"`
}

// DTMFInput is send_dtmf's arguments.
type DTMFInput struct {
	CallID string `json:"call_id" jsonschema:"the call to send keys on"`
	Digits string `json:"digits" jsonschema:"phone keys to press: 0-9 * # A-D, with , for a short pause; at most 64, e.g. '1,3#'"`
}

// DTMFResult acknowledges keys sent.
type DTMFResult struct {
	CallID string `json:"call_id"`
	Digits string `json:"digits"`
}

// FlowFilterInput is list_call_flows's arguments.
type FlowFilterInput struct {
	Company string `json:"company,omitempty" jsonschema:"only flows of this company, e.g. Chase Bank"`
	Tag     string `json:"tag,omitempty" jsonschema:"only flows with this tag, e.g. banking"`
}

// FlowSummary is one row of list_call_flows.
type FlowSummary struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Company      string   `json:"company"`
	PhoneNumber  string   `json:"phone_number"`
	StepCount    int      `json:"step_count"`
	SuccessCount int      `json:"success_count"`
	FailCount    int      `json:"fail_count"`
	Tags         []string `json:"tags"`
}

// FlowList is list_call_flows's answer.
type FlowList struct {
	Flows []FlowSummary `json:"flows"`
	Total int           `json:"total"`
}

// FlowIDInput names one call flow.
type FlowIDInput struct {
	FlowID string `json:"flow_id" jsonschema:"the call flow's id, from list_call_flows"`
}

// FlowStep is one step of a call flow.
type FlowStep struct {
	ID          string   `json:"id" jsonschema:"unique id of this step inside the flow, e.g. press3"`
	Type        string   `json:"type" jsonschema:"WAIT (pause), LISTEN (hear a prompt), DTMF (press keys), SPEAK (say text), HOLD (wait for a person), TRANSFER (connect the user)"`
	Description string   `json:"description,omitempty" jsonschema:"what this step is for, e.g. 'Main menu'"`
	Timeout     *float64 `json:"timeout,omitempty" jsonschema:"seconds to wait at this step, 0 to 3600"`
	DTMF        string   `json:"dtmf,omitempty" jsonschema:"keys to press, only on DTMF steps"`
	Text        string   `json:"text,omitempty" jsonschema:"what to say, only on SPEAK steps"`
	Expect      string   `json:"expect,omitempty" jsonschema:"prompt text expected on LISTEN steps"`
	NextStep    string   `json:"next_step,omitempty" jsonschema:"id of the next step; omit on the last step"`
}

// FlowView is a whole call flow with its steps.
type FlowView struct {
	FlowSummary
	Steps          []FlowStep `json:"steps"`
	Stale          bool       `json:"stale" jsonschema:"true when a replay heard something the flow did not expect"`
	LastVerifiedAt string     `json:"last_verified_at,omitempty"`
	CreatedAt      string     `json:"created_at"`
	UpdatedAt      string     `json:"updated_at"`
}

// CreateFlowInput is create_call_flow's arguments.
type CreateFlowInput struct {
	ID          string     `json:"id,omitempty" jsonschema:"id to give the flow (letters, digits, _ . -); empty derives one from the name"`
	Name        string     `json:"name" jsonschema:"human name, e.g. 'Chase Bank - Disputes'"`
	Company     string     `json:"company,omitempty" jsonschema:"company name"`
	PhoneNumber string     `json:"phone_number,omitempty" jsonschema:"the number this flow is for, E.164"`
	Tags        []string   `json:"tags,omitempty" jsonschema:"labels for finding the flow"`
	Steps       []FlowStep `json:"steps" jsonschema:"the steps in order, linked by next_step; at least one step must have no next_step"`
}

// Device is one of the user's phones.
type Device struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	SIPURI       string   `json:"sip_uri"`
	Endpoint     string   `json:"endpoint"`
	IsOnline     bool     `json:"is_online"`
	Priority     int      `json:"priority" jsonschema:"higher rings first"`
	Capabilities []string `json:"capabilities"`
}

// DeviceList is list_devices's answer.
type DeviceList struct {
	Devices []Device `json:"devices"`
}

// TranscriptSegment is one utterance of a call.
type TranscriptSegment struct {
	Speaker string `json:"speaker" jsonschema:"company, agent, user or holdslayer"`
	Text    string `json:"text"`
	IsFinal bool   `json:"is_final"`
	StartAt string `json:"start_at"`
	EndAt   string `json:"end_at"`
}

// Transcript is get_transcript's answer.
type Transcript struct {
	CallID   string              `json:"call_id"`
	Segments []TranscriptSegment `json:"segments"`
	Text     string              `json:"text" jsonschema:"the final segments as 'speaker: text' lines"`
}

// Event is one thing that happened on a call, as the event stream carries it.
type Event struct {
	Seq       int64          `json:"seq,omitempty" jsonschema:"store-wide order; pass the last one as after_seq to continue waiting"`
	Type      string         `json:"type"`
	CallID    string         `json:"call_id"`
	Timestamp string         `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// Timeline is a call's stored events.
type Timeline struct {
	CallID string  `json:"call_id"`
	Events []Event `json:"events"`
	Total  int     `json:"total"`
}

// WaitInput is wait_for_call_event's arguments.
type WaitInput struct {
	CallID         string   `json:"call_id" jsonschema:"the call to watch"`
	EventTypes     []string `json:"event_types,omitempty" jsonschema:"event types that end the wait, e.g. human_detected, hold_detected, transfer_complete, call_ended; default human_detected. The wait always ends when the call ends or fails."`
	TimeoutSeconds float64  `json:"timeout_seconds,omitempty" jsonschema:"longest wait in seconds, 1 to 3600; default 600. On timeout call again to keep waiting."`
	AfterSeq       int64    `json:"after_seq,omitempty" jsonschema:"only events with a seq above this count; 0 (default) means an event earlier in the call counts too"`
}

// WaitResult is wait_for_call_event's answer.
type WaitResult struct {
	Outcome       string  `json:"outcome" jsonschema:"event (a chosen event happened), call_ended (the call ended or failed first) or timeout"`
	Event         *Event  `json:"event,omitempty" jsonschema:"the event that ended the wait"`
	Status        string  `json:"status" jsonschema:"the call's status when the wait ended"`
	WaitedSeconds float64 `json:"waited_seconds"`
	LastSeq       int64   `json:"last_seq" jsonschema:"seq of the last event seen; pass as after_seq to wait for the next one"`
}
