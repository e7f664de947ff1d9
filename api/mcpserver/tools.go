package mcpserver

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func ptr[T any](v T) *T { return &v }

func (s *service) addTools(srv *mcp.Server) {
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)}
	acts := func(destructive bool) *mcp.ToolAnnotations {
		return &mcp.ToolAnnotations{DestructiveHint: ptr(destructive), OpenWorldHint: ptr(true)}
	}

	mcp.AddTool(srv, &mcp.Tool{Name: "place_call", Title: "Place a call", Annotations: acts(false),
		Description: "Place a phone call to a company for the user. mode hold_slayer (default) navigates the phone menu, waits on hold and rings the user's device when a live person answers; direct connects the user's device at once; ai_assisted is direct plus transcript and recording. Returns the call_id; follow the call with wait_for_call_event or get_call_status."},
		s.placeCall)
	mcp.AddTool(srv, &mcp.Tool{Name: "start_hold_slayer", Title: "Start Hold Slayer", Annotations: acts(false),
		Description: "Call a company, get through its phone menu and wait on hold for the user, then ring the user's device (transfer_to) the moment a live person answers. The usual tool for 'call X and wait on hold for me'. Returns the call_id; then call wait_for_call_event with event_types [\"human_detected\"]."},
		s.startHoldSlayer)
	mcp.AddTool(srv, &mcp.Tool{Name: "get_call_status", Title: "Get call status", Annotations: readOnly,
		Description: "Get one call's current state: status (trying, ringing, connected, navigating, on_hold, human_detected, transferring, transferred, ended, failed), time on hold, what is being heard, the company's estimated wait when announced, the latest words heard and how it ended."},
		s.getCallStatus)
	mcp.AddTool(srv, &mcp.Tool{Name: "list_active_calls", Title: "List active calls", Annotations: readOnly,
		Description: "List the calls that have not ended yet, with status, duration and hold time."},
		s.listActive)
	mcp.AddTool(srv, &mcp.Tool{Name: "hangup_call", Title: "Hang up", Annotations: acts(true),
		Description: "End a call now. Fails if the call already ended. Returns the call's final state."},
		s.hangup)
	mcp.AddTool(srv, &mcp.Tool{Name: "transfer_call", Title: "Transfer to the user", Annotations: acts(false),
		Description: "Ring one of the user's devices now and connect it to the call (use when the user wants to pick up before a person was detected). The transfer runs in the background; wait_for_call_event with transfer_complete or transfer_failed tells how it went."},
		s.transfer)
	mcp.AddTool(srv, &mcp.Tool{Name: "send_dtmf", Title: "Press phone keys", Annotations: acts(false),
		Description: "Press keys on a live call, as if on the phone's keypad, e.g. to pick a menu option or enter an account number. Allowed: 0-9 * # A-D and , for a short pause."},
		s.sendDTMF)
	mcp.AddTool(srv, &mcp.Tool{Name: "list_call_flows", Title: "List call flows", Annotations: readOnly,
		Description: "List stored call flows: remembered ways through a company's phone menu, optionally filtered by company or tag. Pass a flow's id as call_flow_id when placing a call to replay it."},
		s.listFlows)
	mcp.AddTool(srv, &mcp.Tool{Name: "get_call_flow", Title: "Get a call flow", Annotations: readOnly,
		Description: "Get one call flow with all its steps."},
		s.getFlow)
	mcp.AddTool(srv, &mcp.Tool{Name: "create_call_flow", Title: "Create a call flow", Annotations: acts(false),
		Description: "Store a way through a company's phone menu as steps linked by next_step (WAIT, LISTEN, DTMF with dtmf keys, SPEAK with text, HOLD, TRANSFER). At least one step must have no next_step. Validation errors name the step to fix."},
		s.createFlow)
	mcp.AddTool(srv, &mcp.Tool{Name: "list_devices", Title: "List devices", Annotations: readOnly,
		Description: "List the user's phones a call can be transferred to, with whether each is online and its priority (higher rings first)."},
		s.listDevices)
	mcp.AddTool(srv, &mcp.Tool{Name: "get_transcript", Title: "Get transcript", Annotations: readOnly,
		Description: "Get what was said on a call so far (company announcements, the agent, Hold Slayer's own prompts), as segments and as plain 'speaker: text' lines."},
		s.getTranscript)
	mcp.AddTool(srv, &mcp.Tool{Name: "wait_for_call_event", Title: "Wait for a call event", Annotations: readOnly,
		Description: "Block until something chosen happens on a call (default: a live person answers, human_detected), until the call ends, or until the timeout; sends progress notifications while waiting. Use this instead of polling get_call_status. An event that already happened earlier in the call counts unless after_seq excludes it; to wait for the next event, pass the last_seq of the previous result as after_seq."},
		s.waitForEvent)
}

func (s *service) placeCall(ctx context.Context, _ *mcp.CallToolRequest, in PlaceCallInput) (*mcp.CallToolResult, PlacedCall, error) {
	body := map[string]any{"number": in.Number, "mode": in.Mode, "intent": in.Intent, "device": in.Device,
		"call_flow_id": in.CallFlowID, "services": servicesBody{Recording: in.Recording, Transcription: in.Transcription}}
	var out PlacedCall
	if err := s.rest.do(ctx, http.MethodPost, "/api/calls/outbound", nil, body, &out); err != nil {
		return nil, PlacedCall{}, toolError(err)
	}
	return nil, out, nil
}

func (s *service) startHoldSlayer(ctx context.Context, _ *mcp.CallToolRequest, in HoldSlayerInput) (*mcp.CallToolResult, PlacedCall, error) {
	body := map[string]any{"number": in.Number, "intent": in.Intent, "call_flow_id": in.CallFlowID,
		"transfer_to": in.TransferTo, "services": servicesBody{Recording: in.Recording, Transcription: in.Transcription}}
	var out PlacedCall
	if err := s.rest.do(ctx, http.MethodPost, "/api/calls/hold-slayer", nil, body, &out); err != nil {
		return nil, PlacedCall{}, toolError(err)
	}
	return nil, out, nil
}

func (s *service) callStatus(ctx context.Context, id string) (CallStatus, error) {
	if id == "" {
		return CallStatus{}, errRequired("call_id")
	}
	var out CallStatus
	if err := s.rest.do(ctx, http.MethodGet, callPath(id, ""), nil, nil, &out); err != nil {
		return CallStatus{}, toolError(err)
	}
	return trimHistory(out), nil
}

func trimHistory(c CallStatus) CallStatus {
	if n := len(c.ClassificationHistory); n > maxHistory {
		c.ClassificationHistory = c.ClassificationHistory[n-maxHistory:]
	}
	if c.ClassificationHistory == nil {
		c.ClassificationHistory = []Classification{}
	}
	return c
}

func (s *service) getCallStatus(ctx context.Context, _ *mcp.CallToolRequest, in CallIDInput) (*mcp.CallToolResult, CallStatus, error) {
	out, err := s.callStatus(ctx, in.CallID)
	return nil, out, err
}

func (s *service) listActive(ctx context.Context, _ *mcp.CallToolRequest, _ NoInput) (*mcp.CallToolResult, ActiveCalls, error) {
	var out ActiveCalls
	if err := s.rest.do(ctx, http.MethodGet, "/api/calls", nil, nil, &out); err != nil {
		return nil, ActiveCalls{}, toolError(err)
	}
	if out.Calls == nil {
		out.Calls = []CallSummary{}
	}
	return nil, out, nil
}

func (s *service) hangup(ctx context.Context, _ *mcp.CallToolRequest, in CallIDInput) (*mcp.CallToolResult, CallStatus, error) {
	if in.CallID == "" {
		return nil, CallStatus{}, errRequired("call_id")
	}
	var out CallStatus
	if err := s.rest.do(ctx, http.MethodPost, callPath(in.CallID, "hangup"), nil, nil, &out); err != nil {
		return nil, CallStatus{}, toolError(err)
	}
	return nil, trimHistory(out), nil
}

func (s *service) transfer(ctx context.Context, _ *mcp.CallToolRequest, in TransferInput) (*mcp.CallToolResult, TransferResult, error) {
	if in.CallID == "" {
		return nil, TransferResult{}, errRequired("call_id")
	}
	var out TransferResult
	if err := s.rest.do(ctx, http.MethodPost, callPath(in.CallID, "transfer"), nil, map[string]string{"device": in.Device}, &out); err != nil {
		return nil, TransferResult{}, toolError(err)
	}
	return nil, out, nil
}

func (s *service) sendDTMF(ctx context.Context, _ *mcp.CallToolRequest, in DTMFInput) (*mcp.CallToolResult, DTMFResult, error) {
	if in.CallID == "" {
		return nil, DTMFResult{}, errRequired("call_id")
	}
	var out DTMFResult
	if err := s.rest.do(ctx, http.MethodPost, callPath(in.CallID, "dtmf"), nil, map[string]string{"digits": in.Digits}, &out); err != nil {
		return nil, DTMFResult{}, toolError(err)
	}
	return nil, out, nil
}

func (s *service) listFlows(ctx context.Context, _ *mcp.CallToolRequest, in FlowFilterInput) (*mcp.CallToolResult, FlowList, error) {
	q := url.Values{}
	if in.Company != "" {
		q.Set("company", in.Company)
	}
	if in.Tag != "" {
		q.Set("tag", in.Tag)
	}
	var out FlowList
	if err := s.rest.do(ctx, http.MethodGet, "/api/call-flows", q, nil, &out); err != nil {
		return nil, FlowList{}, toolError(err)
	}
	if out.Flows == nil {
		out.Flows = []FlowSummary{}
	}
	for i := range out.Flows {
		if out.Flows[i].Tags == nil {
			out.Flows[i].Tags = []string{}
		}
	}
	return nil, out, nil
}

func (s *service) getFlow(ctx context.Context, _ *mcp.CallToolRequest, in FlowIDInput) (*mcp.CallToolResult, FlowView, error) {
	if in.FlowID == "" {
		return nil, FlowView{}, errRequired("flow_id")
	}
	var out FlowView
	if err := s.rest.do(ctx, http.MethodGet, "/api/call-flows/"+url.PathEscape(in.FlowID), nil, nil, &out); err != nil {
		return nil, FlowView{}, toolError(err)
	}
	return nil, fixFlow(out), nil
}

func fixFlow(f FlowView) FlowView {
	if f.Tags == nil {
		f.Tags = []string{}
	}
	if f.Steps == nil {
		f.Steps = []FlowStep{}
	}
	return f
}

func (s *service) createFlow(ctx context.Context, _ *mcp.CallToolRequest, in CreateFlowInput) (*mcp.CallToolResult, FlowView, error) {
	var out FlowView
	if err := s.rest.do(ctx, http.MethodPost, "/api/call-flows", nil, in, &out); err != nil {
		return nil, FlowView{}, toolError(err)
	}
	return nil, fixFlow(out), nil
}

func (s *service) listDevices(ctx context.Context, _ *mcp.CallToolRequest, _ NoInput) (*mcp.CallToolResult, DeviceList, error) {
	var out DeviceList
	if err := s.rest.do(ctx, http.MethodGet, "/api/devices", nil, nil, &out); err != nil {
		return nil, DeviceList{}, toolError(err)
	}
	if out.Devices == nil {
		out.Devices = []Device{}
	}
	for i := range out.Devices {
		if out.Devices[i].Capabilities == nil {
			out.Devices[i].Capabilities = []string{}
		}
	}
	return nil, out, nil
}

func (s *service) transcript(ctx context.Context, id string) (Transcript, error) {
	if id == "" {
		return Transcript{}, errRequired("call_id")
	}
	var out Transcript
	if err := s.rest.do(ctx, http.MethodGet, callPath(id, "transcript"), nil, nil, &out); err != nil {
		return Transcript{}, toolError(err)
	}
	if out.Segments == nil {
		out.Segments = []TranscriptSegment{}
	}
	return out, nil
}

func (s *service) getTranscript(ctx context.Context, _ *mcp.CallToolRequest, in CallIDInput) (*mcp.CallToolResult, Transcript, error) {
	out, err := s.transcript(ctx, in.CallID)
	return nil, out, err
}

// timeline reads a call's stored events, optionally only some types after a seq.
func (s *service) timeline(ctx context.Context, id string, types []string, since int64) (Timeline, error) {
	q := url.Values{}
	if len(types) > 0 {
		q.Set("types", strings.Join(types, ","))
	}
	if since > 0 {
		q.Set("since", itoa(since))
	}
	var out Timeline
	if err := s.rest.do(ctx, http.MethodGet, callPath(id, "events"), q, nil, &out); err != nil {
		return Timeline{}, toolError(err)
	}
	if out.Events == nil {
		out.Events = []Event{}
	}
	return out, nil
}
