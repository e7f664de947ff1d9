package app

import "time"

// EventType names an event on the bus; the values are the seed's WebSocket event types.
type EventType string

// Event types of the API contract, plus the ones later issues add.
const (
	EventCallStarted       EventType = "call_started"
	EventCallRinging       EventType = "call_ringing"
	EventCallConnected     EventType = "call_connected"
	EventCallEnded         EventType = "call_ended"
	EventCallFailed        EventType = "call_failed"
	EventStatusChanged     EventType = "status_changed"
	EventHoldDetected      EventType = "hold_detected"
	EventHumanDetected     EventType = "human_detected"
	EventHumanWithdrawn    EventType = "human_withdrawn"
	EventTransferStarted   EventType = "transfer_started"
	EventTransferComplete  EventType = "transfer_complete"
	EventTransferFailed    EventType = "transfer_failed"
	EventIVRStep           EventType = "ivr_step"
	EventIVRDTMFSent       EventType = "ivr_dtmf_sent"
	EventIVRMenuDetected   EventType = "ivr_menu_detected"
	EventAudioClassified   EventType = "audio_classified"
	EventTranscriptChunk   EventType = "transcript_chunk"
	EventRecordingStarted  EventType = "recording_started"
	EventRecordingStopped  EventType = "recording_stopped"
	EventWaitEstimated     EventType = "wait_estimated"
	EventNotificationSent  EventType = "notification_sent"
	EventNotificationFail  EventType = "notification_failed"
	EventNavigatorDecision EventType = "navigator_decision"
)

// Event is one thing that happened on a call, exactly as the WebSocket and history carry it:
// {"type", "call_id", "timestamp", "data"}.
type Event struct {
	Seq       int64          `json:"seq,omitempty"` // store-assigned order, used by since= replay
	Type      EventType      `json:"type"`
	CallID    string         `json:"call_id"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}
