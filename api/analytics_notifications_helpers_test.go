package api

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/notify"
	"github.com/holdslayer/holdslayer/app/store"
)

// extEnv is the real router with the analytics and notification routes added to /api, over
// a real SQLite file, a real Notifier and a real HTTP server on loopback.
type extEnv struct {
	t        *testing.T
	srv      *httptest.Server
	store    *store.Store
	notifier *notify.Notifier
	logs     *syncBuffer
}

func newExtEnv(t *testing.T) *extEnv {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), log)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	n, err := notify.New(notify.Options{Targets: st, Deliveries: st, Calls: st, Logger: log,
		Retry: notify.RetryPolicy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	bus := app.NewBus(st, log)
	r := New(Config{Calls: newFakeCalls(st, bus), Store: st, Bus: bus, Log: log,
		Analytics: st, Notifications: n})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &extEnv{t: t, srv: srv, store: st, notifier: n, logs: logs}
}

// do sends a request through the shared helper, which checks the response against the document.
func (e *extEnv) do(method, path string, body any) resp {
	e.t.Helper()
	return (&env{t: e.t, srv: e.srv}).doAuth(method, path, body, "")
}
