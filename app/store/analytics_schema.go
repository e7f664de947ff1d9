package store

import (
	"fmt"

	"gorm.io/gorm"
)

// Schema v3 keeps three per-call analytics facts on the calls row itself: ivr_steps (how many
// ivr_step events the call has), human_at (its first human_detected event) and transferred
// (it had a transfer_complete event: the status says so only until the call ends). Triggers in the
// database maintain them on every event insert and when a call row is created after some of
// its events, so no writer in Go has to remember, and an analytics query reads one narrow
// row per call with no per-call event lookups. The step backfills existing history.
//
// The columns are not in callRow: UpdateCall writes the struct's columns only, so it never
// overwrites a fact the triggers keep.

// analyticsFactsCommon are the statements both dialects share.
var analyticsFactsCommon = []string{
	`ALTER TABLE calls ADD COLUMN ivr_steps INTEGER NOT NULL DEFAULT 0`,
	`ALTER TABLE calls ADD COLUMN human_at {{TS}}`,
	`ALTER TABLE calls ADD COLUMN transferred BOOLEAN NOT NULL DEFAULT FALSE`,
	// One seek per call when a call row arrives or is backfilled.
	`CREATE INDEX idx_call_events_call_type_at ON call_events (call_id, type, occurred_at)`,
	`UPDATE calls SET
		ivr_steps = (SELECT COUNT(*) FROM call_events e WHERE e.call_id = calls.id AND e.type = 'ivr_step'),
		human_at = (SELECT MIN(e.occurred_at) FROM call_events e WHERE e.call_id = calls.id AND e.type = 'human_detected'),
		transferred = EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = calls.id AND e.type = 'transfer_complete')`,
}

// SQLite: triggers run the UPDATE directly. Times are go-sqlite3's UTC text, which sorts
// chronologically, so < picks the earlier detection.
var analyticsFactsSQLite = []string{
	`CREATE TRIGGER trg_call_events_facts AFTER INSERT ON call_events
	FOR EACH ROW WHEN NEW.type IN ('ivr_step', 'human_detected', 'transfer_complete')
	BEGIN
		UPDATE calls SET
			ivr_steps = ivr_steps + (NEW.type = 'ivr_step'),
			human_at = CASE WHEN NEW.type = 'human_detected' AND (human_at IS NULL OR NEW.occurred_at < human_at)
				THEN NEW.occurred_at ELSE human_at END,
			transferred = transferred OR NEW.type = 'transfer_complete'
		WHERE id = NEW.call_id;
	END`,
	`CREATE TRIGGER trg_calls_facts AFTER INSERT ON calls
	FOR EACH ROW
	BEGIN
		UPDATE calls SET
			ivr_steps = (SELECT COUNT(*) FROM call_events e WHERE e.call_id = NEW.id AND e.type = 'ivr_step'),
			human_at = (SELECT MIN(e.occurred_at) FROM call_events e WHERE e.call_id = NEW.id AND e.type = 'human_detected'),
			transferred = EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = NEW.id AND e.type = 'transfer_complete')
		WHERE id = NEW.id;
	END`,
}

// PostgreSQL: trigger functions in PL/pgSQL.
var analyticsFactsPostgres = []string{
	`CREATE FUNCTION holdslayer_call_event_facts() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		UPDATE calls SET
			ivr_steps = ivr_steps + CASE WHEN NEW.type = 'ivr_step' THEN 1 ELSE 0 END,
			human_at = CASE WHEN NEW.type = 'human_detected' AND (human_at IS NULL OR NEW.occurred_at < human_at)
				THEN NEW.occurred_at ELSE human_at END,
			transferred = transferred OR NEW.type = 'transfer_complete'
		WHERE id = NEW.call_id;
		RETURN NULL;
	END $$`,
	`CREATE TRIGGER trg_call_events_facts AFTER INSERT ON call_events
	FOR EACH ROW WHEN (NEW.type IN ('ivr_step', 'human_detected', 'transfer_complete'))
	EXECUTE FUNCTION holdslayer_call_event_facts()`,
	`CREATE FUNCTION holdslayer_call_facts() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		NEW.ivr_steps := (SELECT COUNT(*) FROM call_events e WHERE e.call_id = NEW.id AND e.type = 'ivr_step');
		NEW.human_at := (SELECT MIN(e.occurred_at) FROM call_events e WHERE e.call_id = NEW.id AND e.type = 'human_detected');
		NEW.transferred := EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = NEW.id AND e.type = 'transfer_complete');
		RETURN NEW;
	END $$`,
	`CREATE TRIGGER trg_calls_facts BEFORE INSERT ON calls
	FOR EACH ROW EXECUTE FUNCTION holdslayer_call_facts()`,
}

// analyticsFacts is migration step 3.
func analyticsFacts(tx *gorm.DB, d dialect) error {
	if err := execAll(analyticsFactsCommon...)(tx, d); err != nil {
		return err
	}
	switch d.name {
	case postgresDialect.name:
		return execAll(analyticsFactsPostgres...)(tx, d)
	case sqliteDialect.name:
		return execAll(analyticsFactsSQLite...)(tx, d)
	default:
		return fmt.Errorf("analytics facts: unknown dialect %q", d.name)
	}
}
