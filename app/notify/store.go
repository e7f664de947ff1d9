package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// TargetStore keeps notification targets. The gorm store implements it for the service;
// MemoryStore does for tests and for running without a database. Get, Update and Delete of
// a missing id return an error wrapping app.ErrNotFound; Create of an existing id wraps
// app.ErrConflict. Stored targets include their secrets: only the store sees them.
type TargetStore interface {
	ListTargets(ctx context.Context) ([]Target, error)
	GetTarget(ctx context.Context, id string) (Target, error)
	CreateTarget(ctx context.Context, t Target) error
	UpdateTarget(ctx context.Context, t Target) error
	DeleteTarget(ctx context.Context, id string) error
}

// Delivery statuses.
const (
	StatusSent    = "sent"    // the target accepted the notification
	StatusFailed  = "failed"  // every attempt failed, or the failure was permanent
	StatusSkipped = "skipped" // nothing to deliver to, e.g. no desktop on this machine
)

// Delivery is the record of one notification to one target, after its last attempt.
type Delivery struct {
	ID         string    `json:"id"`
	TargetID   string    `json:"target_id"`
	TargetKind string    `json:"target_kind"`
	EventType  string    `json:"event_type"` // the rule that matched: an event type or hold_longer_than:N
	CallID     string    `json:"call_id,omitempty"`
	Status     string    `json:"status"`
	Error      string    `json:"error,omitempty"` // scrubbed of secret values
	Attempts   int       `json:"attempts"`
	At         time.Time `json:"at"`
}

// DeliveryFilter narrows Recent; empty fields match everything, Limit <= 0 means 100.
type DeliveryFilter struct {
	TargetID string
	CallID   string
	Limit    int
}

// DeliveryLog stores every delivery outcome, so the API can show what reached the user.
type DeliveryLog interface {
	RecordDelivery(ctx context.Context, d Delivery) error
	// RecentDeliveries returns matching deliveries, newest first.
	RecentDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
}

// MemoryStore is an in-process TargetStore and DeliveryLog. It keeps at most maxDeliveries
// delivery records, dropping the oldest.
type MemoryStore struct {
	mu         sync.Mutex
	targets    map[string]Target
	order      []string
	deliveries []Delivery
	max        int
}

// NewMemoryStore returns an empty store keeping up to maxDeliveries records (<= 0: 10,000).
func NewMemoryStore(maxDeliveries int) *MemoryStore {
	if maxDeliveries <= 0 {
		maxDeliveries = 10000
	}
	return &MemoryStore{targets: map[string]Target{}, max: maxDeliveries}
}

var (
	_ TargetStore = (*MemoryStore)(nil)
	_ DeliveryLog = (*MemoryStore)(nil)
)

// ListTargets returns all targets in creation order.
func (m *MemoryStore) ListTargets(ctx context.Context) ([]Target, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Target, 0, len(m.order))
	for _, id := range m.order {
		out = append(out, m.targets[id].Clone())
	}
	return out, nil
}

// GetTarget returns one target.
func (m *MemoryStore) GetTarget(ctx context.Context, id string) (Target, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.targets[id]
	if !ok {
		return Target{}, fmt.Errorf("notification target %q: %w", id, app.ErrNotFound)
	}
	return t.Clone(), nil
}

// CreateTarget adds a target with a new id.
func (m *MemoryStore) CreateTarget(ctx context.Context, t Target) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if strings.TrimSpace(t.ID) == "" {
		return fmt.Errorf("notification target without id: %w", app.ErrInvalid)
	}
	if _, ok := m.targets[t.ID]; ok {
		return fmt.Errorf("notification target %q exists: %w", t.ID, app.ErrConflict)
	}
	m.targets[t.ID] = t.Clone()
	m.order = append(m.order, t.ID)
	return nil
}

// UpdateTarget replaces a target.
func (m *MemoryStore) UpdateTarget(ctx context.Context, t Target) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.targets[t.ID]; !ok {
		return fmt.Errorf("notification target %q: %w", t.ID, app.ErrNotFound)
	}
	m.targets[t.ID] = t.Clone()
	return nil
}

// DeleteTarget removes a target.
func (m *MemoryStore) DeleteTarget(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.targets[id]; !ok {
		return fmt.Errorf("notification target %q: %w", id, app.ErrNotFound)
	}
	delete(m.targets, id)
	m.order = slices.DeleteFunc(m.order, func(s string) bool { return s == id })
	return nil
}

// RecordDelivery appends a delivery record.
func (m *MemoryStore) RecordDelivery(ctx context.Context, d Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deliveries = append(m.deliveries, d)
	if over := len(m.deliveries) - m.max; over > 0 {
		m.deliveries = slices.Delete(m.deliveries, 0, over)
	}
	return nil
}

// RecentDeliveries returns matching records, newest first.
func (m *MemoryStore) RecentDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Delivery
	for i := len(m.deliveries) - 1; i >= 0 && len(out) < limit; i-- {
		d := m.deliveries[i]
		if (f.TargetID == "" || d.TargetID == f.TargetID) && (f.CallID == "" || d.CallID == f.CallID) {
			out = append(out, d)
		}
	}
	return out, nil
}
