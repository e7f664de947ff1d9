package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/notify"
)

// The store keeps notification targets and every delivery attempt's outcome, so rules and
// history survive a restart. Secret values (SMTP password, Twilio token, webhook secret) sit in
// their own column: they are written and read back for sending only. gorm's logger runs with
// parameterised queries, so no value reaches a log line; the errors below name ids only.

var (
	_ notify.TargetStore = (*Store)(nil)
	_ notify.DeliveryLog = (*Store)(nil)
)

// defaultDeliveryLimit is RecentDeliveries' page when the filter sets none, as MemoryStore.
const defaultDeliveryLimit = 100

type notifyTargetRow struct {
	Pos       int64     `gorm:"column:pos;primaryKey;autoIncrement"`
	ID        string    `gorm:"column:id"`
	Name      string    `gorm:"column:name"`
	Kind      string    `gorm:"column:kind"`
	Events    string    `gorm:"column:events"`
	DeviceID  string    `gorm:"column:device_id"`
	Enabled   bool      `gorm:"column:enabled"`
	Config    string    `gorm:"column:config"`
	Secrets   string    `gorm:"column:secrets"`
	CreatedAt time.Time `gorm:"column:created_at"`
	UpdatedAt time.Time `gorm:"column:updated_at"`
}

func (notifyTargetRow) TableName() string { return "notify_targets" }

type notifyDeliveryRow struct {
	Seq        int64     `gorm:"column:seq;primaryKey;autoIncrement"`
	ID         string    `gorm:"column:id"`
	TargetID   string    `gorm:"column:target_id"`
	TargetKind string    `gorm:"column:target_kind"`
	EventType  string    `gorm:"column:event_type"`
	CallID     string    `gorm:"column:call_id"`
	Status     string    `gorm:"column:status"`
	Error      string    `gorm:"column:error"`
	Attempts   int       `gorm:"column:attempts"`
	At         time.Time `gorm:"column:delivered_at"`
}

func (notifyDeliveryRow) TableName() string { return "notify_deliveries" }

func targetToRow(t notify.Target) (notifyTargetRow, error) {
	events, err := encodeList(t.Events)
	if err != nil {
		return notifyTargetRow{}, fmt.Errorf("encode events of notification target %s: %w", t.ID, err)
	}
	config, err := encodeMap(t.Config)
	if err != nil {
		return notifyTargetRow{}, fmt.Errorf("encode config of notification target %s: %w", t.ID, err)
	}
	secrets, err := encodeMap(t.Secrets)
	if err != nil {
		return notifyTargetRow{}, fmt.Errorf("encode secrets of notification target %s: %w", t.ID, err)
	}
	return notifyTargetRow{
		ID: t.ID, Name: t.Name, Kind: t.Kind, Events: events, DeviceID: t.DeviceID,
		Enabled: t.Enabled, Config: config, Secrets: secrets,
	}, nil
}

func (r notifyTargetRow) toTarget() (notify.Target, error) {
	events, err := decodeList(r.Events)
	if err != nil {
		return notify.Target{}, fmt.Errorf("decode events of notification target %s: %w", r.ID, err)
	}
	config, err := decodeMap(r.Config)
	if err != nil {
		return notify.Target{}, fmt.Errorf("decode config of notification target %s: %w", r.ID, err)
	}
	secrets, err := decodeMap(r.Secrets)
	if err != nil {
		// The JSON error could quote the column, so it is not wrapped.
		return notify.Target{}, fmt.Errorf("decode secrets of notification target %s: corrupt column", r.ID)
	}
	if len(events) == 0 {
		events = nil
	}
	return notify.Target{
		ID: r.ID, Name: r.Name, Kind: r.Kind, Events: events, DeviceID: r.DeviceID,
		Enabled: r.Enabled, Config: config, Secrets: secrets,
	}, nil
}

// encodeMap stores a string map as a JSON object; nil is stored as {}.
func encodeMap(m map[string]string) (string, error) {
	if m == nil {
		m = map[string]string{}
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// decodeMap reads a JSON object back; an empty object decodes to nil, like a target that
// never had the map.
func decodeMap(s string) (map[string]string, error) {
	if s == "" || s == "null" || s == "{}" {
		return nil, nil
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

func targetNotFound(id string) error {
	return fmt.Errorf("notification target %q: %w", id, app.ErrNotFound)
}

// ListTargets returns every target, secrets included, in creation order.
func (s *Store) ListTargets(ctx context.Context) ([]notify.Target, error) {
	var rows []notifyTargetRow
	if err := s.r.WithContext(ctx).Order("pos").Find(&rows).Error; err != nil {
		return nil, dbErr("list notification targets", err)
	}
	out := make([]notify.Target, 0, len(rows))
	for _, r := range rows {
		t, err := r.toTarget()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// GetTarget returns one target, secrets included.
func (s *Store) GetTarget(ctx context.Context, id string) (notify.Target, error) {
	var row notifyTargetRow
	err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return notify.Target{}, targetNotFound(id)
	}
	if err != nil {
		return notify.Target{}, dbErr("get notification target "+id, err)
	}
	return row.toTarget()
}

// CreateTarget stores a new target; its id must be set and unused.
func (s *Store) CreateTarget(ctx context.Context, t notify.Target) error {
	if strings.TrimSpace(t.ID) == "" {
		return fmt.Errorf("notification target without id: %w", app.ErrInvalid)
	}
	row, err := targetToRow(t)
	if err != nil {
		return err
	}
	row.CreatedAt = now()
	row.UpdatedAt = row.CreatedAt
	if err := s.w.WithContext(ctx).Create(&row).Error; err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("notification target %q exists: %w", t.ID, app.ErrConflict)
		}
		return dbErr("create notification target "+t.ID, err)
	}
	s.log.Debug("notification target stored", "target_id", t.ID, "kind", t.Kind)
	return nil
}

// UpdateTarget replaces every stored field of target t.ID, secrets included.
func (s *Store) UpdateTarget(ctx context.Context, t notify.Target) error {
	row, err := targetToRow(t)
	if err != nil {
		return err
	}
	res := s.w.WithContext(ctx).Model(&notifyTargetRow{}).Where("id = ?", t.ID).Updates(map[string]any{
		"name": row.Name, "kind": row.Kind, "events": row.Events, "device_id": row.DeviceID,
		"enabled": row.Enabled, "config": row.Config, "secrets": row.Secrets, "updated_at": now(),
	})
	if res.Error != nil {
		return dbErr("update notification target "+t.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return targetNotFound(t.ID)
	}
	return nil
}

// DeleteTarget removes a target; its delivery history stays.
func (s *Store) DeleteTarget(ctx context.Context, id string) error {
	res := s.w.WithContext(ctx).Where("id = ?", id).Delete(&notifyTargetRow{})
	if res.Error != nil {
		return dbErr("delete notification target "+id, res.Error)
	}
	if res.RowsAffected == 0 {
		return targetNotFound(id)
	}
	return nil
}

// RecordDelivery stores one delivery outcome. An empty ID gets a generated one; a zero At
// becomes now.
func (s *Store) RecordDelivery(ctx context.Context, d notify.Delivery) error {
	if d.ID == "" {
		d.ID = newID("ntf_")
	}
	if d.At.IsZero() {
		d.At = now()
	}
	row := notifyDeliveryRow{
		ID: d.ID, TargetID: d.TargetID, TargetKind: d.TargetKind, EventType: d.EventType,
		CallID: d.CallID, Status: d.Status, Error: d.Error, Attempts: d.Attempts, At: normTime(d.At),
	}
	if err := s.w.WithContext(ctx).Create(&row).Error; err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("notification delivery %q exists: %w", d.ID, app.ErrConflict)
		}
		return dbErr(fmt.Sprintf("record notification delivery %s of target %s", d.ID, d.TargetID), err)
	}
	return nil
}

// RecentDeliveries returns matching deliveries, newest (last recorded) first; Limit <= 0
// means 100.
func (s *Store) RecentDeliveries(ctx context.Context, f notify.DeliveryFilter) ([]notify.Delivery, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultDeliveryLimit
	}
	q := s.r.WithContext(ctx).Model(&notifyDeliveryRow{})
	if f.TargetID != "" {
		q = q.Where("target_id = ?", f.TargetID)
	}
	if f.CallID != "" {
		q = q.Where("call_id = ?", f.CallID)
	}
	var rows []notifyDeliveryRow
	if err := q.Order("seq DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, dbErr("list notification deliveries", err)
	}
	out := make([]notify.Delivery, len(rows))
	for i, r := range rows {
		out[i] = notify.Delivery{
			ID: r.ID, TargetID: r.TargetID, TargetKind: r.TargetKind, EventType: r.EventType,
			CallID: r.CallID, Status: r.Status, Error: r.Error, Attempts: r.Attempts, At: r.At.UTC(),
		}
	}
	return out, nil
}
