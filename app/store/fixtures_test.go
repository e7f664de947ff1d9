package store

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// testLog discards output unless -v, so failures stay readable.
func testLog(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// sqliteDSN is a fresh database file path in the test's temp dir, one directory deeper than
// exists so Open has to create it.
func sqliteDSN(t testing.TB) string {
	return filepath.Join(t.TempDir(), "data", "holdslayer.db")
}

// openStore opens dsn and closes it when the test ends.
func openStore(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, testLog(t))
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// newSQLiteStore is a fresh SQLite-file store.
func newSQLiteStore(t testing.TB) *Store { return openStore(t, sqliteDSN(t)) }

// base is a fixed instant with nanoseconds and a non-UTC zone, so tests see the store normalise
// both.
var base = time.Date(2025, 3, 14, 9, 26, 53, 123456789, time.FixedZone("EST", -5*3600))

// at is base plus d, as the store will return it (UTC, microseconds).
func at(d time.Duration) time.Time { return normTime(base.Add(d)) }

func ptr[T any](v T) *T { return &v }

// aCall is a minimal valid call; opts adjust it.
func aCall(opts ...func(*app.Call)) app.Call {
	c := app.Call{
		Number:    "+18005551234",
		Mode:      app.ModeHoldSlayer,
		Intent:    "dispute a charge",
		Status:    app.StatusTrying,
		Company:   "Chase Bank",
		StartedAt: base,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// createCall stores aCall(opts...) and returns it as stored.
func createCall(t testing.TB, s *Store, opts ...func(*app.Call)) app.Call {
	t.Helper()
	c := aCall(opts...)
	if err := s.CreateCall(context.Background(), &c); err != nil {
		t.Fatalf("create call: %v", err)
	}
	return c
}

// aFlow is the seed's example flow shape.
func aFlow(opts ...func(*app.CallFlow)) app.CallFlow {
	f := app.CallFlow{
		Name:        "Chase Bank - Disputes",
		Company:     "Chase Bank",
		PhoneNumber: "+18005551234",
		Tags:        []string{"banking", "disputes"},
		Steps: []app.Step{
			{ID: "wait", Type: app.StepWait, Timeout: ptr(3.0), NextStep: "menu"},
			{ID: "menu", Type: app.StepListen, Expect: "main menu", Timeout: ptr(10.0), NextStep: "press3"},
			{ID: "press3", Type: app.StepDTMF, DTMF: "3", NextStep: "hold"},
			{ID: "hold", Type: app.StepHold, Timeout: ptr(7200.0), NextStep: "transfer"},
			{ID: "transfer", Type: app.StepTransfer, Description: "ring the user"},
		},
	}
	for _, o := range opts {
		o(&f)
	}
	return f
}

func createFlow(t testing.TB, s *Store, opts ...func(*app.CallFlow)) app.CallFlow {
	t.Helper()
	f := aFlow(opts...)
	if err := s.CreateFlow(context.Background(), &f); err != nil {
		t.Fatalf("create flow: %v", err)
	}
	return f
}

func aDevice(opts ...func(*app.Device)) app.Device {
	d := app.Device{
		Name:         "Office SIP Phone",
		Type:         "sip_phone",
		SIPURI:       "sip:robert@192.168.1.100",
		Priority:     10,
		Capabilities: []string{"voice"},
		IsOnline:     true,
	}
	for _, o := range opts {
		o(&d)
	}
	return d
}

func createDevice(t testing.TB, s *Store, opts ...func(*app.Device)) app.Device {
	t.Helper()
	d := aDevice(opts...)
	if err := s.CreateDevice(context.Background(), &d); err != nil {
		t.Fatalf("create device: %v", err)
	}
	return d
}
