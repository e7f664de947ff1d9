package app

import (
	"context"
	"time"
)

// FlowFilter narrows call-flow listings (?company=, ?tag=, and lookup by number).
type FlowFilter struct {
	Company     string
	Tag         string
	PhoneNumber string
}

// Store is the persistence the engine and the API need. app/store implements it over gorm
// (SQLite by default, PostgreSQL by DSN). Methods return errors wrapping ErrNotFound or
// ErrConflict where those apply.
type Store interface {
	CreateCall(ctx context.Context, c *Call) error
	UpdateCall(ctx context.Context, c *Call) error
	GetCall(ctx context.Context, id string) (Call, error)
	ListCalls(ctx context.Context, f CallFilter, p Page) (calls []Call, total int64, err error)
	// EndOrphanedCalls marks calls left non-terminal by a previous process as ended with
	// reason, and returns their ids. Run at start-up: a restarted service owns no live call.
	EndOrphanedCalls(ctx context.Context, reason string, at time.Time) ([]string, error)

	// AppendEvent stores ev and sets ev.Seq, a store-wide increasing number.
	AppendEvent(ctx context.Context, ev *Event) error
	// ListEvents returns events with Seq > afterSeq, oldest first; callID and types filter
	// when non-empty; limit <= 0 means no limit.
	ListEvents(ctx context.Context, callID string, types []EventType, afterSeq int64, limit int) ([]Event, error)

	AddTranscript(ctx context.Context, seg *TranscriptSegment) error
	ListTranscript(ctx context.Context, callID string) ([]TranscriptSegment, error)

	CreateFlow(ctx context.Context, f *CallFlow) error
	UpdateFlow(ctx context.Context, f *CallFlow) error
	GetFlow(ctx context.Context, id string) (CallFlow, error)
	ListFlows(ctx context.Context, f FlowFilter) ([]CallFlow, error)
	DeleteFlow(ctx context.Context, id string) error

	CreateDevice(ctx context.Context, d *Device) error
	UpdateDevice(ctx context.Context, d *Device) error
	GetDevice(ctx context.Context, id string) (Device, error)
	ListDevices(ctx context.Context) ([]Device, error)
	DeleteDevice(ctx context.Context, id string) error

	AddRecording(ctx context.Context, r *Recording) error
	ListRecordings(ctx context.Context, callID string) ([]Recording, error)
	GetRecording(ctx context.Context, id string) (Recording, error)

	// Ping checks the database is reachable, for /readyz.
	Ping(ctx context.Context) error
}

// Calls is what the API and MCP need from the call engine. The engine implements it; until a
// telephony backend is configured, NoBackend does, refusing every new call with ErrUnavailable.
type Calls interface {
	// Place validates and starts a call, returning its first snapshot (status trying).
	Place(ctx context.Context, req CallRequest) (Call, error)
	// Get returns a live call's state, or the stored record of a finished one.
	Get(ctx context.Context, id string) (Call, error)
	// Active lists calls that have not ended.
	Active(ctx context.Context) []Call
	Hangup(ctx context.Context, id string) error
	// Transfer connects the call to a device now (device id or name; empty = best online).
	Transfer(ctx context.Context, id, device string) error
	SendDTMF(ctx context.Context, id, digits string) error
	// Ready reports whether calls can be placed, for /readyz.
	Ready() bool
}
