package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// dialect holds the few type names that differ between SQLite and PostgreSQL, so each migration
// is written once in plain SQL.
type dialect struct {
	name string
	repl *strings.Replacer
}

var (
	sqliteDialect = dialect{name: "sqlite", repl: strings.NewReplacer(
		"{{TS}}", "DATETIME", // go-sqlite3 parses DATETIME columns back into time.Time
		"{{REAL}}", "REAL",
		"{{SERIAL_PK}}", "INTEGER PRIMARY KEY AUTOINCREMENT", // AUTOINCREMENT: never reuse a seq
	)}
	postgresDialect = dialect{name: "postgres", repl: strings.NewReplacer(
		"{{TS}}", "TIMESTAMPTZ",
		"{{REAL}}", "DOUBLE PRECISION",
		"{{SERIAL_PK}}", "BIGSERIAL PRIMARY KEY",
	)}
)

func (d dialect) sql(stmt string) string { return d.repl.Replace(stmt) }

// migration is one step of the schema's history. Steps are never edited once released: a
// change to the schema is a new step appended to migrations.
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB, d dialect) error
}

// migrations is the ordered schema history; migrations[i].version is i+1.
var migrations = []migration{
	{version: 1, name: "initial schema", up: execAll(
		`CREATE TABLE calls (
			id TEXT PRIMARY KEY,
			number TEXT NOT NULL,
			mode TEXT NOT NULL DEFAULT '',
			intent TEXT NOT NULL DEFAULT '',
			status TEXT NOT NULL,
			device TEXT NOT NULL DEFAULT '',
			call_flow_id TEXT NOT NULL DEFAULT '',
			company TEXT NOT NULL DEFAULT '',
			service_recording BOOLEAN NOT NULL DEFAULT FALSE,
			service_transcription BOOLEAN NOT NULL DEFAULT FALSE,
			started_at {{TS}} NOT NULL,
			answered_at {{TS}},
			ended_at {{TS}},
			hold_seconds {{REAL}} NOT NULL DEFAULT 0,
			end_reason TEXT NOT NULL DEFAULT '',
			audio_type TEXT NOT NULL DEFAULT '',
			transcript_excerpt TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX idx_calls_number_started ON calls (number, started_at)`,
		`CREATE INDEX idx_calls_status ON calls (status)`,
		`CREATE INDEX idx_calls_started_at ON calls (started_at)`,
		// call_events has no foreign key: the timeline may hold events of calls that never
		// reached the calls table (a refused dial) and must outlive nothing else.
		`CREATE TABLE call_events (
			seq {{SERIAL_PK}},
			call_id TEXT NOT NULL DEFAULT '',
			type TEXT NOT NULL,
			occurred_at {{TS}} NOT NULL,
			data TEXT NOT NULL DEFAULT '{}'
		)`,
		`CREATE INDEX idx_call_events_call_seq ON call_events (call_id, seq)`,
		`CREATE TABLE transcript_segments (
			id {{SERIAL_PK}},
			call_id TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
			speaker TEXT NOT NULL DEFAULT '',
			text TEXT NOT NULL DEFAULT '',
			is_final BOOLEAN NOT NULL DEFAULT FALSE,
			start_at {{TS}} NOT NULL,
			end_at {{TS}} NOT NULL
		)`,
		`CREATE INDEX idx_transcript_segments_call ON transcript_segments (call_id, start_at)`,
		`CREATE TABLE call_flows (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL,
			company TEXT NOT NULL DEFAULT '',
			phone_number TEXT NOT NULL DEFAULT '',
			tags TEXT NOT NULL DEFAULT '[]',
			steps TEXT NOT NULL DEFAULT '[]',
			success_count INTEGER NOT NULL DEFAULT 0,
			fail_count INTEGER NOT NULL DEFAULT 0,
			last_verified_at {{TS}},
			created_at {{TS}} NOT NULL,
			updated_at {{TS}} NOT NULL
		)`,
		`CREATE INDEX idx_call_flows_company ON call_flows (lower(company))`,
		`CREATE TABLE devices (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL,
			type TEXT NOT NULL DEFAULT '',
			sip_uri TEXT NOT NULL DEFAULT '',
			endpoint TEXT NOT NULL DEFAULT '',
			priority INTEGER NOT NULL DEFAULT 0,
			capabilities TEXT NOT NULL DEFAULT '[]',
			online BOOLEAN NOT NULL DEFAULT FALSE,
			created_at {{TS}} NOT NULL,
			updated_at {{TS}} NOT NULL
		)`,
		// A device may have only an explicit endpoint; only real SIP URIs must be unique.
		`CREATE UNIQUE INDEX idx_devices_sip_uri ON devices (sip_uri) WHERE sip_uri <> ''`,
		`CREATE TABLE recordings (
			id TEXT PRIMARY KEY,
			call_id TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
			kind TEXT NOT NULL DEFAULT '',
			path TEXT NOT NULL,
			duration_seconds {{REAL}} NOT NULL DEFAULT 0,
			file_size BIGINT NOT NULL DEFAULT 0,
			created_at {{TS}} NOT NULL
		)`,
		`CREATE INDEX idx_recordings_call ON recordings (call_id, created_at)`,
	)},
	{version: 2, name: "wait estimates, stale flows, lookup indexes", up: execAll(
		`ALTER TABLE calls ADD COLUMN estimated_wait_seconds {{REAL}}`,
		`ALTER TABLE call_flows ADD COLUMN stale BOOLEAN NOT NULL DEFAULT FALSE`,
		`CREATE INDEX idx_call_flows_phone_number ON call_flows (phone_number)`,
		`CREATE INDEX idx_calls_company_started ON calls (lower(company), started_at)`,
		`CREATE INDEX idx_call_events_type_seq ON call_events (type, seq)`,
	)},
	{version: 3, name: "analytics facts on calls", up: analyticsFacts},
	{version: 4, name: "notification targets and deliveries", up: execAll(
		// pos keeps creation order for listings; id is the API's handle. Secrets have their own
		// column so nothing that reads settings for display ever selects them.
		`CREATE TABLE notify_targets (
			pos {{SERIAL_PK}},
			id TEXT NOT NULL UNIQUE,
			name TEXT NOT NULL,
			kind TEXT NOT NULL,
			events TEXT NOT NULL DEFAULT '[]',
			device_id TEXT NOT NULL DEFAULT '',
			enabled BOOLEAN NOT NULL DEFAULT FALSE,
			config TEXT NOT NULL DEFAULT '{}',
			secrets TEXT NOT NULL DEFAULT '{}',
			created_at {{TS}} NOT NULL,
			updated_at {{TS}} NOT NULL
		)`,
		// Deliveries outlive their target (no foreign key): the history stays readable after
		// a target is deleted.
		`CREATE TABLE notify_deliveries (
			seq {{SERIAL_PK}},
			id TEXT NOT NULL UNIQUE,
			target_id TEXT NOT NULL DEFAULT '',
			target_kind TEXT NOT NULL DEFAULT '',
			event_type TEXT NOT NULL DEFAULT '',
			call_id TEXT NOT NULL DEFAULT '',
			status TEXT NOT NULL,
			error TEXT NOT NULL DEFAULT '',
			attempts INTEGER NOT NULL DEFAULT 0,
			delivered_at {{TS}} NOT NULL
		)`,
		`CREATE INDEX idx_notify_deliveries_target ON notify_deliveries (target_id, seq)`,
		`CREATE INDEX idx_notify_deliveries_call ON notify_deliveries (call_id, seq)`,
	)},
}

// execAll returns a migration step that runs stmts in order.
func execAll(stmts ...string) func(tx *gorm.DB, d dialect) error {
	return func(tx *gorm.DB, d dialect) error {
		for _, s := range stmts {
			if err := tx.Exec(d.sql(s)).Error; err != nil {
				return fmt.Errorf("%s: %w", firstLine(s), err)
			}
		}
		return nil
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "("))
}

// migrationLockKey serialises migrations of several processes sharing one PostgreSQL database
// (an advisory lock; SQLite gets the same from BEGIN IMMEDIATE).
const migrationLockKey = 0x686f6c64 // "hold"

// migrate brings the schema up to version target (normally len(migrations)), one transaction
// per step, and returns the version the database is at afterwards.
func migrate(ctx context.Context, db *gorm.DB, d dialect, target int) (int, error) {
	db = db.WithContext(ctx)
	err := db.Exec(d.sql(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at {{TS}} NOT NULL
	)`)).Error
	if err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	current, err := schemaVersion(db)
	if err != nil {
		return 0, err
	}
	if current > len(migrations) {
		return current, fmt.Errorf("database schema version %d is newer than this build knows (%d): upgrade holdslayer", current, len(migrations))
	}
	for _, m := range migrations[current:min(target, len(migrations))] {
		err := db.Transaction(func(tx *gorm.DB) error {
			if d.name == postgresDialect.name {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLockKey).Error; err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			var done int64
			if err := tx.Raw("SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&done).Error; err != nil {
				return err
			}
			if done > 0 { // another process applied it while we waited for the lock
				return nil
			}
			if err := m.up(tx, d); err != nil {
				return err
			}
			return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, time.Now().UTC()).Error
		})
		if err != nil {
			return current, fmt.Errorf("migrate schema to version %d (%s): %w", m.version, m.name, err)
		}
		current = m.version
	}
	return schemaVersion(db)
}

// schemaVersion is the highest applied migration, 0 for an empty database.
func schemaVersion(db *gorm.DB) (int, error) {
	var v sql.NullInt64
	if err := db.Raw("SELECT MAX(version) FROM schema_migrations").Row().Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}
