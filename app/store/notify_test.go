package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/notify"
)

func runNotifySuite(t *testing.T, newStore func(t *testing.T) *Store) {
	t.Run("Targets", func(t *testing.T) { testNotifyTargets(t, newStore(t)) })
	t.Run("Deliveries", func(t *testing.T) { testNotifyDeliveries(t, newStore(t)) })
}

func TestNotifySQLite(t *testing.T) {
	runNotifySuite(t, func(t *testing.T) *Store { return newSQLiteStore(t) })
}

const (
	smtpPassword  = "hunter2-smtp-password"
	webhookSecret = "whsec-very-secret-value"
)

func mailTarget() notify.Target {
	return notify.Target{
		ID: "tgt_mail", Name: "Robert's mail", Kind: notify.KindEmail, Enabled: true,
		Events:   []string{"human_detected", "hold_longer_than:15"},
		DeviceID: "dev_desk",
		Config:   map[string]string{"host": "smtp.example.com", "port": "587", "from": "hs@example.com", "to": "robert@example.com", "username": "robert"},
		Secrets:  map[string]string{"password": smtpPassword},
	}
}

func testNotifyTargets(t *testing.T, s *Store) {
	ctx := context.Background()
	if ts, err := s.ListTargets(ctx); err != nil || len(ts) != 0 {
		t.Fatalf("empty store lists %v, %v", ts, err)
	}
	mail := mailTarget()
	hook := notify.Target{ID: "tgt_hook", Name: "hook", Kind: notify.KindWebhook,
		Config: map[string]string{"url": "https://example.com/h"}, Secrets: map[string]string{"secret": webhookSecret}}
	browser := notify.Target{ID: "tgt_browser", Name: "dashboard", Kind: notify.KindBrowser, Enabled: true}
	for _, tg := range []notify.Target{mail, hook, browser} {
		if err := s.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetTarget(ctx, "tgt_mail")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "mail target", got, mail)
	got, err = s.GetTarget(ctx, "tgt_browser")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "browser target (no maps, no events)", got, browser)

	// Creation order, secrets included (the notifier needs them to send).
	all, err := s.ListTargets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "all targets", all, []notify.Target{mail, hook, browser})

	// The secret lives in its own column, not among the settings.
	var cfg, sec string
	if err := s.r.Raw("SELECT config, secrets FROM notify_targets WHERE id = ?", "tgt_hook").Row().Scan(&cfg, &sec); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(cfg, webhookSecret) || !strings.Contains(sec, webhookSecret) {
		t.Fatalf("config %q / secrets %q: the secret is not in its own column", cfg, sec)
	}

	wantErr(t, s.CreateTarget(ctx, mail), app.ErrConflict, "tgt_mail")
	wantErr(t, s.CreateTarget(ctx, notify.Target{Name: "x", Kind: notify.KindBrowser}), app.ErrInvalid, "id")
	_, err = s.GetTarget(ctx, "tgt_nope")
	wantErr(t, err, app.ErrNotFound, "tgt_nope")

	// Update replaces everything, including clearing maps and secrets.
	upd := mail.Clone()
	upd.Name, upd.Enabled, upd.Events, upd.DeviceID = "mail (off)", false, []string{"call_failed"}, ""
	upd.Config["to"] = "other@example.com"
	upd.Secrets = map[string]string{"password": "new-password"}
	if err := s.UpdateTarget(ctx, upd); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetTarget(ctx, "tgt_mail")
	equal(t, "updated", got, upd)
	hook.Secrets, hook.Config = nil, nil
	if err := s.UpdateTarget(ctx, hook); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetTarget(ctx, "tgt_hook")
	equal(t, "cleared", got, hook)
	wantErr(t, s.UpdateTarget(ctx, notify.Target{ID: "tgt_nope", Name: "x", Kind: notify.KindBrowser}), app.ErrNotFound, "tgt_nope")

	if err := s.DeleteTarget(ctx, "tgt_mail"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.DeleteTarget(ctx, "tgt_mail"), app.ErrNotFound, "tgt_mail")
	all, _ = s.ListTargets(ctx)
	equal(t, "after delete", all, []notify.Target{hook, browser})
	// The id is free again.
	if err := s.CreateTarget(ctx, mail); err != nil {
		t.Fatal(err)
	}
	all, _ = s.ListTargets(ctx)
	if len(all) != 3 || all[2].ID != "tgt_mail" {
		t.Fatalf("re-created target not last: %v", all)
	}
}

func testNotifyDeliveries(t *testing.T, s *Store) {
	ctx := context.Background()
	if ds, err := s.RecentDeliveries(ctx, notify.DeliveryFilter{}); err != nil || len(ds) != 0 {
		t.Fatalf("empty log: %v, %v", ds, err)
	}
	var want []notify.Delivery
	for i := range 7 {
		d := notify.Delivery{
			ID: fmt.Sprintf("ntf_%d", i), TargetID: []string{"tgt_a", "tgt_b"}[i%2], TargetKind: notify.KindWebhook,
			EventType: "human_detected", CallID: []string{"call_1", "call_2", ""}[i%3],
			Status: notify.StatusSent, Attempts: 1, At: base.Add(time.Duration(i) * time.Second),
		}
		if i == 3 {
			d.Status, d.Error, d.Attempts = notify.StatusFailed, "webhook answered 500", 3
		}
		if err := s.RecordDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		d.At = at(time.Duration(i) * time.Second)
		want = append([]notify.Delivery{d}, want...) // newest first
	}
	all, err := s.RecentDeliveries(ctx, notify.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "all deliveries", all, want)
	pick := func(f func(d notify.Delivery) bool) []notify.Delivery {
		var out []notify.Delivery
		for _, d := range want {
			if f(d) {
				out = append(out, d)
			}
		}
		return out
	}
	byTarget, _ := s.RecentDeliveries(ctx, notify.DeliveryFilter{TargetID: "tgt_b"})
	equal(t, "by target", byTarget, pick(func(d notify.Delivery) bool { return d.TargetID == "tgt_b" }))
	byCall, _ := s.RecentDeliveries(ctx, notify.DeliveryFilter{CallID: "call_1", TargetID: "tgt_a"})
	equal(t, "by call and target", byCall, pick(func(d notify.Delivery) bool { return d.CallID == "call_1" && d.TargetID == "tgt_a" }))
	limited, _ := s.RecentDeliveries(ctx, notify.DeliveryFilter{Limit: 2})
	equal(t, "limited", limited, want[:2])

	// Generated id and time; duplicate ids refused.
	if err := s.RecordDelivery(ctx, notify.Delivery{TargetID: "tgt_c", Status: notify.StatusSkipped}); err != nil {
		t.Fatal(err)
	}
	last, _ := s.RecentDeliveries(ctx, notify.DeliveryFilter{TargetID: "tgt_c"})
	if len(last) != 1 || !strings.HasPrefix(last[0].ID, "ntf_") || last[0].At.IsZero() {
		t.Fatalf("generated delivery: %+v", last)
	}
	wantErr(t, s.RecordDelivery(ctx, want[0]), app.ErrConflict, want[0].ID)

	// Limit 0 means 100.
	for i := range 120 {
		if err := s.RecordDelivery(ctx, notify.Delivery{TargetID: "tgt_many", Status: notify.StatusSent, At: base.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
	}
	many, _ := s.RecentDeliveries(ctx, notify.DeliveryFilter{TargetID: "tgt_many"})
	if len(many) != 100 || !many[0].At.Equal(at(119*time.Millisecond)) {
		t.Fatalf("default page: %d, newest %v", len(many), many[0].At)
	}
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNotifierOverStore runs the real Notifier on the gorm store: targets managed through
// it keep their secrets in the database (usable for signing) but never in a view, and a test
// delivery to a real HTTP receiver, then to a dead one, is recorded. Nothing the store or the
// notifier logs, at debug level, carries a secret.
func TestNotifierOverStore(t *testing.T) {
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Open(context.Background(), sqliteDSN(t), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	var gotSig string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range r.Header {
			if strings.Contains(strings.ToLower(k), "signature") {
				gotSig = v[0]
			}
		}
		if r.URL.Path == "/dead" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()

	n, err := notify.New(notify.Options{Targets: s, Deliveries: s, Logger: log,
		Retry: notify.RetryPolicy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	view, err := n.CreateTarget(ctx, notify.Target{Name: "hook", Kind: notify.KindWebhook, Enabled: true,
		Config: map[string]string{"url": recv.URL + "/ok"}, Secrets: map[string]string{"secret": webhookSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(view.ID, "tgt_") || len(view.SecretsSet) != 1 || view.SecretsSet[0] != "secret" {
		t.Fatalf("view: %+v", view)
	}
	// A PUT without the secret keeps it.
	if _, err := n.UpdateTarget(ctx, view.ID, notify.Target{Name: "hook renamed", Kind: notify.KindWebhook, Enabled: true,
		Config: map[string]string{"url": recv.URL + "/ok"}}); err != nil {
		t.Fatal(err)
	}
	stored, err := s.GetTarget(ctx, view.ID)
	if err != nil || stored.Secrets["secret"] != webhookSecret || stored.Name != "hook renamed" {
		t.Fatalf("stored after update: %v, %v", stored, err)
	}
	d, err := n.Test(ctx, view.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != notify.StatusSent || gotSig == "" {
		t.Fatalf("test delivery: %+v, signature %q", d, gotSig)
	}
	dead, err := n.CreateTarget(ctx, notify.Target{Name: "dead", Kind: notify.KindWebhook, Enabled: true,
		Config: map[string]string{"url": recv.URL + "/dead"}, Secrets: map[string]string{"secret": webhookSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := n.Test(ctx, dead.ID); d.Status != notify.StatusFailed {
		t.Fatalf("dead target delivery: %+v", d)
	}
	ds, err := n.Deliveries(ctx, notify.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].TargetID != dead.ID || ds[0].Status != notify.StatusFailed || ds[1].TargetID != view.ID || ds[1].Status != notify.StatusSent {
		t.Fatalf("recorded deliveries: %+v", ds)
	}
	views, err := n.ListTargets(ctx)
	if err != nil || len(views) != 2 {
		t.Fatalf("views: %v, %v", views, err)
	}
	// Errors on the way must not leak the secret either.
	_ = s.CreateTarget(ctx, stored)
	if err := s.UpdateTarget(ctx, notify.Target{ID: "tgt_missing", Secrets: map[string]string{"secret": webhookSecret}}); err == nil || strings.Contains(err.Error(), webhookSecret) {
		t.Fatalf("update of a missing target: %v", err)
	}
	if out := logs.String(); strings.Contains(out, webhookSecret) || !strings.Contains(out, "notification target") {
		t.Fatalf("logs carry the secret (or nothing was logged):\n%s", out)
	}
}
