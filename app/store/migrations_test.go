package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// testUpgradeFromV1 builds a database the way schema version 1 left it, with rows written by
// plain SQL in v1's shape, then opens it with Open and checks the upgrade kept every row.
func testUpgradeFromV1(t *testing.T, dsn string) {
	ctx := context.Background()
	old, err := connect(ctx, dsn, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	v, err := migrate(ctx, old.w, old.dialect, 1)
	if err != nil || v != 1 {
		t.Fatalf("migrate to v1: version %d, %v", v, err)
	}
	if old.w.Migrator().HasColumn("calls", "estimated_wait_seconds") || old.w.Migrator().HasColumn("call_flows", "stale") {
		t.Fatal("v1 schema already has v2 columns")
	}
	started := at(0)
	ended := at(20 * time.Minute)
	exec := func(q string, args ...any) {
		t.Helper()
		if err := old.w.WithContext(ctx).Exec(q, args...).Error; err != nil {
			t.Fatalf("v1 insert: %v\n%s", err, q)
		}
	}
	exec(`INSERT INTO calls (id, number, mode, intent, status, device, call_flow_id, company,
		service_recording, service_transcription, started_at, answered_at, ended_at, hold_seconds,
		end_reason, audio_type, transcript_excerpt)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		"call_old", "+18005551234", "hold_slayer", "dispute", "ended", "dev_old", "flow_old", "Chase Bank",
		true, false, started, nil, ended, 1130.5, "transferred", "live_human", "how can I help")
	exec(`INSERT INTO calls (id, number, status, started_at) VALUES (?, ?, ?, ?)`,
		"call_open", "+18005550000", "on_hold", started)
	exec(`INSERT INTO call_events (call_id, type, occurred_at, data) VALUES (?, ?, ?, ?)`,
		"call_old", "hold_detected", started, `{"confidence":0.9}`)
	exec(`INSERT INTO call_events (call_id, type, occurred_at, data) VALUES (?, ?, ?, ?)`,
		"call_old", "human_detected", ended, `{}`)
	exec(`INSERT INTO transcript_segments (call_id, speaker, text, is_final, start_at, end_at) VALUES (?, ?, ?, ?, ?, ?)`,
		"call_old", "agent", "how can I help", true, ended, ended)
	exec(`INSERT INTO call_flows (id, name, company, phone_number, tags, steps, success_count, fail_count,
		last_verified_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		"flow_old", "Chase - Disputes", "Chase Bank", "+18005551234", `["banking"]`,
		`[{"id":"press3","type":"DTMF","dtmf":"3","next_step":"hold"},{"id":"hold","type":"HOLD"}]`,
		3, 1, nil, started, started)
	exec(`INSERT INTO devices (id, name, type, sip_uri, endpoint, priority, capabilities, online, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		"dev_old", "Desk", "sip_phone", "sip:desk@10.0.0.2", "", 10, `["voice"]`, true, started, started)
	exec(`INSERT INTO recordings (id, call_id, kind, path, duration_seconds, file_size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		"rec_old", "call_old", "mixed", "recordings/call_old.wav", 1200.0, 19_200_044, ended)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, dsn)
	if v, err := schemaVersion(s.w.WithContext(ctx)); err != nil || v != len(migrations) {
		t.Fatalf("after upgrade: version %d, %v; want %d", v, err, len(migrations))
	}
	var applied []int
	if err := s.w.Raw("SELECT version FROM schema_migrations ORDER BY version").Scan(&applied).Error; err != nil {
		t.Fatal(err)
	}
	equal(t, "applied versions", applied, []int{1, 2, 3, 4})

	c, err := s.GetCall(ctx, "call_old")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "v1 call", c, app.Call{
		ID: "call_old", Number: "+18005551234", Mode: app.ModeHoldSlayer, Intent: "dispute",
		Status: app.StatusEnded, Device: "dev_old", CallFlowID: "flow_old", Company: "Chase Bank",
		Services: app.Services{Recording: true}, StartedAt: started, EndedAt: &ended,
		HoldSeconds: 1130.5, EndReason: "transferred", AudioType: "live_human",
		TranscriptExcerpt: "how can I help",
	})
	sparse, err := s.GetCall(ctx, "call_open")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "v1 call with defaults", sparse, app.Call{ID: "call_open", Number: "+18005550000", Status: app.StatusOnHold, StartedAt: started})

	evs, err := s.ListEvents(ctx, "call_old", nil, 0, 0)
	if err != nil || len(evs) != 2 || evs[0].Type != app.EventHoldDetected || evs[0].Data["confidence"] != 0.9 || !evs[1].Timestamp.Equal(ended) {
		t.Fatalf("v1 events = %+v, %v", evs, err)
	}
	tr, err := s.ListTranscript(ctx, "call_old")
	if err != nil || len(tr) != 1 || tr[0].Text != "how can I help" || !tr[0].IsFinal {
		t.Fatalf("v1 transcript = %+v, %v", tr, err)
	}
	f, err := s.GetFlow(ctx, "flow_old")
	if err != nil {
		t.Fatal(err)
	}
	if f.Stale || f.SuccessCount != 3 || len(f.Steps) != 2 || f.Steps[0].DTMF != "3" || f.Tags[0] != "banking" || f.LastVerifiedAt != nil {
		t.Fatalf("v1 flow = %+v", f)
	}
	d, err := s.GetDevice(ctx, "dev_old")
	if err != nil || d.SIPURI != "sip:desk@10.0.0.2" || !d.IsOnline || d.Capabilities[0] != "voice" {
		t.Fatalf("v1 device = %+v, %v", d, err)
	}
	r, err := s.GetRecording(ctx, "rec_old")
	if err != nil || r.FileSize != 19_200_044 || r.Duration != 1200 {
		t.Fatalf("v1 recording = %+v, %v", r, err)
	}

	// The v2 columns are usable on the old rows.
	c.EstimatedWaitSeconds = ptr(600.0)
	if err := s.UpdateCall(ctx, &c); err != nil {
		t.Fatal(err)
	}
	f.Stale = true
	if err := s.UpdateFlow(ctx, &f); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.GetCall(ctx, "call_old"); c.EstimatedWaitSeconds == nil || *c.EstimatedWaitSeconds != 600 {
		t.Fatalf("estimated wait after upgrade = %v", c.EstimatedWaitSeconds)
	}
	if f, _ := s.GetFlow(ctx, "flow_old"); !f.Stale {
		t.Fatal("stale flag not stored after upgrade")
	}
	byPhone, err := s.ListFlows(ctx, app.FlowFilter{PhoneNumber: "+18005551234"})
	if err != nil || len(byPhone) != 1 {
		t.Fatalf("flows by phone = %v, %v", byPhone, err)
	}
	// A new device still cannot take the old device's URI: the v1 unique index survived.
	dup := aDevice(func(x *app.Device) { x.SIPURI = "sip:desk@10.0.0.2" })
	wantErr(t, s.CreateDevice(ctx, &dup), app.ErrConflict, "sip:desk@10.0.0.2")
}

// testReopenIsIdempotent opens an up-to-date database again: nothing is re-applied.
func testReopenIsIdempotent(t *testing.T, dsn string) {
	ctx := context.Background()
	s1, err := Open(ctx, dsn, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	c := createCall(t, s1)
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, dsn)
	var n int64
	if err := s2.w.Raw("SELECT COUNT(*) FROM schema_migrations").Scan(&n).Error; err != nil || n != int64(len(migrations)) {
		t.Fatalf("schema_migrations rows = %d, %v", n, err)
	}
	if _, err := s2.GetCall(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
}

// testRefuseNewerSchema: a database written by a newer build is not touched by an older one.
func testRefuseNewerSchema(t *testing.T, dsn string) {
	ctx := context.Background()
	s, err := Open(ctx, dsn, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.w.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", 99, "from the future", time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dsn, testLog(t))
	if err == nil {
		_ = s.Close()
		t.Fatal("opened a database with a newer schema")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("error %q does not explain the version mismatch", err)
	}
}

func runMigrationSuite(t *testing.T, newDSN func(t *testing.T) string) {
	t.Run("UpgradeFromV1", func(t *testing.T) { testUpgradeFromV1(t, newDSN(t)) })
	t.Run("ReopenIsIdempotent", func(t *testing.T) { testReopenIsIdempotent(t, newDSN(t)) })
	t.Run("RefuseNewerSchema", func(t *testing.T) { testRefuseNewerSchema(t, newDSN(t)) })
	t.Run("Indexes", func(t *testing.T) { testIndexes(t, newDSN(t)) })
	t.Run("FailedStepRollsBack", func(t *testing.T) { testFailedStepRollsBack(t, newDSN(t)) })
}

func TestMigrationVersionsAreOrdered(t *testing.T) {
	for i, m := range migrations {
		if m.version != i+1 {
			t.Fatalf("migrations[%d] has version %d, want %d", i, m.version, i+1)
		}
		if m.name == "" || m.up == nil {
			t.Fatalf("migration %d lacks a name or a step", m.version)
		}
	}
}

// testFailedStepRollsBack: a migration that fails half-way leaves no trace, so the next start
// retries it from a clean state. (Swaps the package's migration list; not parallel.)
func testFailedStepRollsBack(t *testing.T, dsn string) {
	openStore(t, dsn) // at the current version
	orig := migrations
	t.Cleanup(func() { migrations = orig })
	migrations = append(slices.Clip(orig), migration{
		version: len(orig) + 1, name: "broken",
		up: execAll(`ALTER TABLE calls ADD COLUMN half_done INTEGER`, `SELECT * FROM no_such_table`),
	})
	if s, err := Open(context.Background(), dsn, testLog(t)); err == nil {
		_ = s.Close()
		t.Fatal("a failing migration did not fail Open")
	} else if !strings.Contains(err.Error(), "broken") {
		t.Fatalf("error %q does not name the failed migration", err)
	}
	migrations = orig
	s := openStore(t, dsn)
	if v, err := schemaVersion(s.w); err != nil || v != len(orig) {
		t.Fatalf("version after failed step = %d, %v; want %d", v, err, len(orig))
	}
	if s.w.Migrator().HasColumn("calls", "half_done") {
		t.Fatal("the failed step's first statement was not rolled back")
	}
}

// testIndexes checks the indexes history and analytics rely on exist after all migrations.
func testIndexes(t *testing.T, dsn string) {
	s := openStore(t, dsn)
	m := s.w.Migrator()
	for table, idxs := range map[string][]string{
		"calls":               {"idx_calls_number_started", "idx_calls_status", "idx_calls_started_at", "idx_calls_company_started"},
		"call_events":         {"idx_call_events_call_seq", "idx_call_events_type_seq"},
		"transcript_segments": {"idx_transcript_segments_call"},
		"call_flows":          {"idx_call_flows_company", "idx_call_flows_phone_number"},
		"devices":             {"idx_devices_sip_uri"},
		"recordings":          {"idx_recordings_call"},
	} {
		for _, idx := range idxs {
			if !m.HasIndex(table, idx) {
				t.Errorf("index %s on %s missing", idx, table)
			}
		}
	}
}
