package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// The row types below mirror the tables that migrations.go creates; gorm only maps columns,
// it never creates or alters the schema. Times are stored in UTC.

type callRow struct {
	ID                   string     `gorm:"column:id;primaryKey"`
	Number               string     `gorm:"column:number"`
	Mode                 string     `gorm:"column:mode"`
	Intent               string     `gorm:"column:intent"`
	Status               string     `gorm:"column:status"`
	Device               string     `gorm:"column:device"`
	CallFlowID           string     `gorm:"column:call_flow_id"`
	Company              string     `gorm:"column:company"`
	ServiceRecording     bool       `gorm:"column:service_recording"`
	ServiceTranscription bool       `gorm:"column:service_transcription"`
	StartedAt            time.Time  `gorm:"column:started_at"`
	AnsweredAt           *time.Time `gorm:"column:answered_at"`
	EndedAt              *time.Time `gorm:"column:ended_at"`
	HoldSeconds          float64    `gorm:"column:hold_seconds"`
	EndReason            string     `gorm:"column:end_reason"`
	AudioType            string     `gorm:"column:audio_type"`
	EstimatedWaitSeconds *float64   `gorm:"column:estimated_wait_seconds"`
	TranscriptExcerpt    string     `gorm:"column:transcript_excerpt"`
}

func (callRow) TableName() string { return "calls" }

func callToRow(c *app.Call) callRow {
	return callRow{
		ID:                   c.ID,
		Number:               c.Number,
		Mode:                 string(c.Mode),
		Intent:               c.Intent,
		Status:               string(c.Status),
		Device:               c.Device,
		CallFlowID:           c.CallFlowID,
		Company:              c.Company,
		ServiceRecording:     c.Services.Recording,
		ServiceTranscription: c.Services.Transcription,
		StartedAt:            normTime(c.StartedAt),
		AnsweredAt:           normTimePtr(c.AnsweredAt),
		EndedAt:              normTimePtr(c.EndedAt),
		HoldSeconds:          c.HoldSeconds,
		EndReason:            c.EndReason,
		AudioType:            c.AudioType,
		EstimatedWaitSeconds: c.EstimatedWaitSeconds,
		TranscriptExcerpt:    c.TranscriptExcerpt,
	}
}

func (r callRow) toApp() app.Call {
	return app.Call{
		ID:         r.ID,
		Number:     r.Number,
		Mode:       app.Mode(r.Mode),
		Intent:     r.Intent,
		Status:     app.CallStatus(r.Status),
		Device:     r.Device,
		CallFlowID: r.CallFlowID,
		Company:    r.Company,
		Services: app.Services{
			Recording:     r.ServiceRecording,
			Transcription: r.ServiceTranscription,
		},
		StartedAt:            r.StartedAt.UTC(),
		AnsweredAt:           utcPtr(r.AnsweredAt),
		EndedAt:              utcPtr(r.EndedAt),
		HoldSeconds:          r.HoldSeconds,
		EndReason:            r.EndReason,
		AudioType:            r.AudioType,
		EstimatedWaitSeconds: r.EstimatedWaitSeconds,
		TranscriptExcerpt:    r.TranscriptExcerpt,
	}
}

type eventRow struct {
	Seq       int64     `gorm:"column:seq;primaryKey;autoIncrement"`
	CallID    string    `gorm:"column:call_id"`
	Type      string    `gorm:"column:type"`
	Timestamp time.Time `gorm:"column:occurred_at"`
	Data      string    `gorm:"column:data"`
}

func (eventRow) TableName() string { return "call_events" }

func eventToRow(ev *app.Event) (eventRow, error) {
	data := []byte("{}")
	if ev.Data != nil {
		var err error
		if data, err = json.Marshal(ev.Data); err != nil {
			return eventRow{}, fmt.Errorf("encode event data: %w", err)
		}
	}
	return eventRow{
		Seq:       ev.Seq,
		CallID:    ev.CallID,
		Type:      string(ev.Type),
		Timestamp: normTime(ev.Timestamp),
		Data:      string(data),
	}, nil
}

func (r eventRow) toApp() (app.Event, error) {
	data := map[string]any{}
	if r.Data != "" && r.Data != "null" {
		if err := json.Unmarshal([]byte(r.Data), &data); err != nil {
			return app.Event{}, fmt.Errorf("decode data of event %d: %w", r.Seq, err)
		}
	}
	return app.Event{
		Seq:       r.Seq,
		Type:      app.EventType(r.Type),
		CallID:    r.CallID,
		Timestamp: r.Timestamp.UTC(),
		Data:      data,
	}, nil
}

type transcriptRow struct {
	ID      int64     `gorm:"column:id;primaryKey;autoIncrement"`
	CallID  string    `gorm:"column:call_id"`
	Speaker string    `gorm:"column:speaker"`
	Text    string    `gorm:"column:text"`
	IsFinal bool      `gorm:"column:is_final"`
	StartAt time.Time `gorm:"column:start_at"`
	EndAt   time.Time `gorm:"column:end_at"`
}

func (transcriptRow) TableName() string { return "transcript_segments" }

func (r transcriptRow) toApp() app.TranscriptSegment {
	return app.TranscriptSegment{
		ID:      r.ID,
		CallID:  r.CallID,
		Speaker: r.Speaker,
		Text:    r.Text,
		IsFinal: r.IsFinal,
		StartAt: r.StartAt.UTC(),
		EndAt:   r.EndAt.UTC(),
	}
}

type flowRow struct {
	ID             string     `gorm:"column:id;primaryKey"`
	Name           string     `gorm:"column:name"`
	Company        string     `gorm:"column:company"`
	PhoneNumber    string     `gorm:"column:phone_number"`
	Tags           string     `gorm:"column:tags"`
	Steps          string     `gorm:"column:steps"`
	SuccessCount   int        `gorm:"column:success_count"`
	FailCount      int        `gorm:"column:fail_count"`
	Stale          bool       `gorm:"column:stale"`
	LastVerifiedAt *time.Time `gorm:"column:last_verified_at"`
	CreatedAt      time.Time  `gorm:"column:created_at"`
	UpdatedAt      time.Time  `gorm:"column:updated_at"`
}

func (flowRow) TableName() string { return "call_flows" }

func flowToRow(f *app.CallFlow) (flowRow, error) {
	tags, err := encodeList(f.Tags)
	if err != nil {
		return flowRow{}, fmt.Errorf("encode tags of flow %s: %w", f.ID, err)
	}
	steps := []app.Step{}
	if f.Steps != nil {
		steps = f.Steps
	}
	stepsJSON, err := json.Marshal(steps)
	if err != nil {
		return flowRow{}, fmt.Errorf("encode steps of flow %s: %w", f.ID, err)
	}
	return flowRow{
		ID:             f.ID,
		Name:           f.Name,
		Company:        f.Company,
		PhoneNumber:    f.PhoneNumber,
		Tags:           tags,
		Steps:          string(stepsJSON),
		SuccessCount:   f.SuccessCount,
		FailCount:      f.FailCount,
		Stale:          f.Stale,
		LastVerifiedAt: normTimePtr(f.LastVerifiedAt),
		CreatedAt:      normTime(f.CreatedAt),
		UpdatedAt:      normTime(f.UpdatedAt),
	}, nil
}

func (r flowRow) toApp() (app.CallFlow, error) {
	tags, err := decodeList(r.Tags)
	if err != nil {
		return app.CallFlow{}, fmt.Errorf("decode tags of flow %s: %w", r.ID, err)
	}
	steps := []app.Step{}
	if r.Steps != "" {
		if err := json.Unmarshal([]byte(r.Steps), &steps); err != nil {
			return app.CallFlow{}, fmt.Errorf("decode steps of flow %s: %w", r.ID, err)
		}
	}
	return app.CallFlow{
		ID:             r.ID,
		Name:           r.Name,
		Company:        r.Company,
		PhoneNumber:    r.PhoneNumber,
		Tags:           tags,
		Steps:          steps,
		SuccessCount:   r.SuccessCount,
		FailCount:      r.FailCount,
		Stale:          r.Stale,
		LastVerifiedAt: utcPtr(r.LastVerifiedAt),
		CreatedAt:      r.CreatedAt.UTC(),
		UpdatedAt:      r.UpdatedAt.UTC(),
	}, nil
}

type deviceRow struct {
	ID           string    `gorm:"column:id;primaryKey"`
	Name         string    `gorm:"column:name"`
	Type         string    `gorm:"column:type"`
	SIPURI       string    `gorm:"column:sip_uri"`
	Endpoint     string    `gorm:"column:endpoint"`
	Priority     int       `gorm:"column:priority"`
	Capabilities string    `gorm:"column:capabilities"`
	Online       bool      `gorm:"column:online"`
	CreatedAt    time.Time `gorm:"column:created_at"`
	UpdatedAt    time.Time `gorm:"column:updated_at"`
}

func (deviceRow) TableName() string { return "devices" }

func deviceToRow(d *app.Device) (deviceRow, error) {
	caps, err := encodeList(d.Capabilities)
	if err != nil {
		return deviceRow{}, fmt.Errorf("encode capabilities of device %s: %w", d.ID, err)
	}
	return deviceRow{
		ID:           d.ID,
		Name:         d.Name,
		Type:         d.Type,
		SIPURI:       d.SIPURI,
		Endpoint:     d.Endpoint,
		Priority:     d.Priority,
		Capabilities: caps,
		Online:       d.IsOnline,
		CreatedAt:    normTime(d.CreatedAt),
		UpdatedAt:    normTime(d.UpdatedAt),
	}, nil
}

func (r deviceRow) toApp() (app.Device, error) {
	caps, err := decodeList(r.Capabilities)
	if err != nil {
		return app.Device{}, fmt.Errorf("decode capabilities of device %s: %w", r.ID, err)
	}
	return app.Device{
		ID:           r.ID,
		Name:         r.Name,
		Type:         r.Type,
		SIPURI:       r.SIPURI,
		Endpoint:     r.Endpoint,
		Priority:     r.Priority,
		Capabilities: caps,
		IsOnline:     r.Online,
		CreatedAt:    r.CreatedAt.UTC(),
		UpdatedAt:    r.UpdatedAt.UTC(),
	}, nil
}

type recordingRow struct {
	ID              string    `gorm:"column:id;primaryKey"`
	CallID          string    `gorm:"column:call_id"`
	Kind            string    `gorm:"column:kind"`
	Path            string    `gorm:"column:path"`
	DurationSeconds float64   `gorm:"column:duration_seconds"`
	FileSize        int64     `gorm:"column:file_size"`
	CreatedAt       time.Time `gorm:"column:created_at"`
}

func (recordingRow) TableName() string { return "recordings" }

func (r recordingRow) toApp() app.Recording {
	return app.Recording{
		ID:        r.ID,
		CallID:    r.CallID,
		Kind:      r.Kind,
		Path:      r.Path,
		Duration:  r.DurationSeconds,
		FileSize:  r.FileSize,
		CreatedAt: r.CreatedAt.UTC(),
	}
}

// encodeList stores a string list as a JSON array; nil is stored as [] so filters see an array.
func encodeList(l []string) (string, error) {
	if l == nil {
		l = []string{}
	}
	b, err := json.Marshal(l)
	return string(b), err
}

// decodeList reads a JSON array back; an empty column decodes to an empty list.
func decodeList(s string) ([]string, error) {
	l := []string{}
	if s == "" || s == "null" {
		return l, nil
	}
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, err
	}
	return l, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}
