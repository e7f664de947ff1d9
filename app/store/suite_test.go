package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// runSuite runs the behaviour every backend must share; newStore returns a fresh, empty,
// migrated store for each subtest.
func runSuite(t *testing.T, newStore func(t *testing.T) *Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *Store)
	}{
		{"CallRoundTrip", testCallRoundTrip},
		{"CallErrors", testCallErrors},
		{"ListCalls", testListCalls},
		{"EndOrphanedCalls", testEndOrphanedCalls},
		{"Events", testEvents},
		{"ConcurrentEvents", testConcurrentEvents},
		{"ReplayMissesNothing", testReplayMissesNothing},
		{"Transcript", testTranscript},
		{"Flows", testFlows},
		{"ListFlows", testListFlows},
		{"Devices", testDevices},
		{"Recordings", testRecordings},
		{"Ping", func(t *testing.T, s *Store) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func wantErr(t *testing.T, err, target error, detail string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one wrapping %v", err, target)
	}
	if !strings.Contains(err.Error(), detail) {
		t.Fatalf("error %q does not name %q", err, detail)
	}
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func testCallRoundTrip(t *testing.T, s *Store) {
	ctx := context.Background()
	c := aCall()
	if err := s.CreateCall(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.ID, "call_") || len(c.ID) < len("call_")+8 {
		t.Fatalf("generated id %q, want call_ + random", c.ID)
	}
	want := aCall(func(w *app.Call) { w.ID = c.ID; w.StartedAt = at(0) })
	equal(t, "created call", c, want)
	got, err := s.GetCall(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "read back", got, want)

	// Every field changes, including the nullable ones and the v2 column.
	got.Status = app.StatusTransferred
	got.Mode = app.ModeAIAssisted
	got.Intent = "cancel card"
	got.Device = "dev_001"
	got.CallFlowID = "flow_x"
	got.Company = "Chase"
	got.Services = app.Services{Recording: true, Transcription: true}
	got.AnsweredAt = ptr(base.Add(5 * time.Second))
	got.EndedAt = ptr(base.Add(10 * time.Minute))
	got.HoldSeconds = 512.25
	got.EndReason = "transferred"
	got.AudioType = "live_human"
	got.EstimatedWaitSeconds = ptr(900.0)
	got.TranscriptExcerpt = "thank you for holding, this is Anna"
	if err := s.UpdateCall(ctx, &got); err != nil {
		t.Fatal(err)
	}
	want = got
	want.AnsweredAt = ptr(at(5 * time.Second))
	want.EndedAt = ptr(at(10 * time.Minute))
	equal(t, "updated call (returned)", got, want)
	again, err := s.GetCall(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "updated call (stored)", again, want)

	// Clearing nullable fields stores NULL again.
	again.AnsweredAt, again.EndedAt, again.EstimatedWaitSeconds = nil, nil, nil
	again.Services = app.Services{}
	if err := s.UpdateCall(ctx, &again); err != nil {
		t.Fatal(err)
	}
	cleared, err := s.GetCall(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "cleared call", cleared, again)

	// A caller-chosen id is kept.
	own := aCall(func(c *app.Call) { c.ID = "call_abc123" })
	if err := s.CreateCall(ctx, &own); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCall(ctx, "call_abc123"); err != nil {
		t.Fatal(err)
	}
}

func testCallErrors(t *testing.T, s *Store) {
	ctx := context.Background()
	_, err := s.GetCall(ctx, "call_missing")
	wantErr(t, err, app.ErrNotFound, "call_missing")
	missing := aCall(func(c *app.Call) { c.ID = "call_nope" })
	wantErr(t, s.UpdateCall(ctx, &missing), app.ErrNotFound, "call_nope")
	c := createCall(t, s)
	dup := aCall(func(d *app.Call) { d.ID = c.ID })
	wantErr(t, s.CreateCall(ctx, &dup), app.ErrConflict, c.ID)
	// The failed insert left the original intact.
	got, err := s.GetCall(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "original after conflict", got, c)
}

func testListCalls(t *testing.T, s *Store) {
	ctx := context.Background()
	type spec struct {
		id      string
		number  string
		company string
		status  app.CallStatus
		start   time.Duration
	}
	specs := []spec{
		{"c1", "+18005551234", "Chase Bank", app.StatusEnded, 0},
		{"c2", "+18005551234", "chase bank", app.StatusFailed, 1 * time.Hour},
		{"c3", "+18005550000", "Comcast", app.StatusEnded, 2 * time.Hour},
		{"c4", "+18005551234", "Chase Bank", app.StatusOnHold, 3 * time.Hour},
		{"c5", "+18005550000", "Comcast", app.StatusOnHold, 4 * time.Hour},
		{"c6", "+18005559999", "Chase Bank Card", app.StatusEnded, 5 * time.Hour},
		{"c7", "+18005551234", "Chase Bank", app.StatusEnded, 6 * time.Hour},
	}
	for _, sp := range specs {
		createCall(t, s, func(c *app.Call) {
			c.ID, c.Number, c.Company, c.Status = sp.id, sp.number, sp.company, sp.status
			c.StartedAt = base.Add(sp.start)
		})
	}
	ids := func(cs []app.Call) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.ID
		}
		return out
	}
	cases := []struct {
		name  string
		f     app.CallFilter
		p     app.Page
		want  []string
		total int64
	}{
		{"all newest first", app.CallFilter{}, app.Page{}, []string{"c7", "c6", "c5", "c4", "c3", "c2", "c1"}, 7},
		{"first page", app.CallFilter{}, app.Page{Limit: 3}, []string{"c7", "c6", "c5"}, 7},
		{"second page", app.CallFilter{}, app.Page{Limit: 3, Offset: 3}, []string{"c4", "c3", "c2"}, 7},
		{"last page", app.CallFilter{}, app.Page{Limit: 3, Offset: 6}, []string{"c1"}, 7},
		{"past the end", app.CallFilter{}, app.Page{Limit: 3, Offset: 9}, []string{}, 7},
		{"number", app.CallFilter{Number: "+18005551234"}, app.Page{}, []string{"c7", "c4", "c2", "c1"}, 4},
		{"company any case, exact", app.CallFilter{Company: "CHASE BANK"}, app.Page{}, []string{"c7", "c4", "c2", "c1"}, 4},
		{"status", app.CallFilter{Status: app.StatusOnHold}, app.Page{}, []string{"c5", "c4"}, 2},
		{"from inclusive", app.CallFilter{From: ptr(base.Add(5 * time.Hour))}, app.Page{}, []string{"c7", "c6"}, 2},
		{"to inclusive", app.CallFilter{To: ptr(base.Add(time.Hour))}, app.Page{}, []string{"c2", "c1"}, 2},
		{"range in another zone", app.CallFilter{
			From: ptr(base.Add(90 * time.Minute).In(time.FixedZone("CET", 3600))),
			To:   ptr(base.Add(270 * time.Minute).UTC()),
		}, app.Page{}, []string{"c5", "c4", "c3"}, 3},
		{"combined and paged", app.CallFilter{Number: "+18005551234", Status: app.StatusEnded}, app.Page{Limit: 1, Offset: 1}, []string{"c1"}, 2},
		{"no match", app.CallFilter{Company: "Chase"}, app.Page{}, []string{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := s.ListCalls(ctx, tc.f, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "ids", ids(got), tc.want)
			if total != tc.total {
				t.Fatalf("total = %d, want %d", total, tc.total)
			}
		})
	}
	// Same start time: the order is still stable (by id, descending).
	createCall(t, s, func(c *app.Call) { c.ID = "c8"; c.StartedAt = base.Add(6 * time.Hour) })
	got, _, err := s.ListCalls(ctx, app.CallFilter{}, app.Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "tie order", ids(got), []string{"c8", "c7"})
}

func testEndOrphanedCalls(t *testing.T, s *Store) {
	ctx := context.Background()
	statuses := []app.CallStatus{
		app.StatusTrying, app.StatusEnded, app.StatusOnHold, app.StatusFailed,
		app.StatusTransferred, app.StatusNavigating,
	}
	var open []string
	for i, st := range statuses {
		c := createCall(t, s, func(c *app.Call) {
			c.ID = fmt.Sprintf("call_%d", i)
			c.Status = st
			c.StartedAt = base.Add(time.Duration(i) * time.Minute)
			if st.Terminal() {
				c.EndedAt = ptr(base.Add(time.Hour))
				c.EndReason = "completed"
			}
		})
		if !st.Terminal() {
			open = append(open, c.ID)
		}
	}
	when := base.Add(24 * time.Hour)
	ids, err := s.EndOrphanedCalls(ctx, "service restarted", when)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "ended ids", ids, open)
	for i, st := range statuses {
		c, err := s.GetCall(ctx, fmt.Sprintf("call_%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if st.Terminal() {
			if c.Status != st || c.EndReason != "completed" || !c.EndedAt.Equal(at(time.Hour)) {
				t.Fatalf("terminal call %s was touched: %+v", c.ID, c)
			}
			continue
		}
		if c.Status != app.StatusEnded || c.EndReason != "service restarted" || c.EndedAt == nil || !c.EndedAt.Equal(at(24*time.Hour)) {
			t.Fatalf("orphan %s not ended: %+v", c.ID, c)
		}
	}
	again, err := s.EndOrphanedCalls(ctx, "service restarted", when)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("second run ended %v, want none", again)
	}
}
