package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/holdslayer/holdslayer/app"
)

// ListTargets returns every target without secrets, for GET /api/notifications/targets.
func (n *Notifier) ListTargets(ctx context.Context) ([]TargetView, error) {
	ts, err := n.targets.ListTargets(ctx)
	if err != nil {
		return nil, fmt.Errorf("list notification targets: %w", err)
	}
	out := make([]TargetView, len(ts))
	for i, t := range ts {
		out[i] = t.Redacted()
	}
	return out, nil
}

// GetTarget returns one target without secrets.
func (n *Notifier) GetTarget(ctx context.Context, id string) (TargetView, error) {
	t, err := n.targets.GetTarget(ctx, id)
	if err != nil {
		return TargetView{}, fmt.Errorf("get notification target: %w", err)
	}
	return t.Redacted(), nil
}

// CreateTarget validates and stores a new target (POST); an empty ID gets a generated one.
func (n *Notifier) CreateTarget(ctx context.Context, t Target) (TargetView, error) {
	t = t.Clone()
	if t.ID == "" {
		t.ID = "tgt_" + uuid.NewString()
	}
	t.Secrets = mergeSecrets(nil, t.Secrets)
	if err := t.Validate(); err != nil {
		return TargetView{}, err
	}
	if err := n.targets.CreateTarget(ctx, t); err != nil {
		return TargetView{}, fmt.Errorf("create notification target: %w", err)
	}
	n.log.Info("notification target created", "target", t)
	return t.Redacted(), nil
}

// UpdateTarget replaces target id's settings (PUT). Secrets left empty keep their stored
// value (the client never saw it); a secret set to "-" is removed.
func (n *Notifier) UpdateTarget(ctx context.Context, id string, t Target) (TargetView, error) {
	old, err := n.targets.GetTarget(ctx, id)
	if err != nil {
		return TargetView{}, fmt.Errorf("update notification target: %w", err)
	}
	t = t.Clone()
	t.ID = id
	t.Secrets = mergeSecrets(old.Secrets, t.Secrets)
	if err := t.Validate(); err != nil {
		return TargetView{}, err
	}
	if err := n.targets.UpdateTarget(ctx, t); err != nil {
		return TargetView{}, fmt.Errorf("update notification target: %w", err)
	}
	n.log.Info("notification target updated", "target", t)
	return t.Redacted(), nil
}

// DeleteTarget removes a target (DELETE).
func (n *Notifier) DeleteTarget(ctx context.Context, id string) error {
	if err := n.targets.DeleteTarget(ctx, id); err != nil {
		return fmt.Errorf("delete notification target: %w", err)
	}
	return nil
}

// SyncTargets makes the store hold the targets of the configuration file: each is created,
// or updated by ID (secrets merged as in UpdateTarget). Targets created through the API and
// absent from the file are left alone.
func (n *Notifier) SyncTargets(ctx context.Context, ts []Target) error {
	for _, t := range ts {
		if t.ID == "" {
			return fmt.Errorf("configured notification target %q has no id: %w", t.Name, app.ErrInvalid)
		}
		_, err := n.targets.GetTarget(ctx, t.ID)
		switch {
		case errors.Is(err, app.ErrNotFound):
			_, err = n.CreateTarget(ctx, t)
		case err == nil:
			_, err = n.UpdateTarget(ctx, t.ID, t)
		}
		if err != nil {
			return fmt.Errorf("configured notification target %q: %w", t.ID, err)
		}
	}
	return nil
}

// Deliveries lists recorded deliveries, newest first.
func (n *Notifier) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	ds, err := n.deliveries.RecentDeliveries(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list notification deliveries: %w", err)
	}
	return ds, nil
}

// Test sends a test notification to target id now, whether or not it is enabled, with a
// single attempt (the user is waiting for the answer), and returns the recorded delivery.
// A delivery failure is reported in the Delivery (Status, Error), not as an error; the error
// is for a missing target (app.ErrNotFound). The outcome is also published like any other.
func (n *Notifier) Test(ctx context.Context, id string) (Delivery, error) {
	t, err := n.targets.GetTarget(ctx, id)
	if err != nil {
		return Delivery{}, fmt.Errorf("test notification target: %w", err)
	}
	ev := app.Event{Type: ruleTest, Timestamp: n.clock.Now(), Data: map[string]any{"target_id": t.ID}}
	msg := render(ruleTest, ev, callInfo{})
	return n.deliver(ctx, t, msg, RetryPolicy{Attempts: 1, Initial: n.retry.Initial, Max: n.retry.Max}), nil
}
