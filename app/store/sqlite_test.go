package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLite(t *testing.T) {
	runSuite(t, func(t *testing.T) *Store { return newSQLiteStore(t) })
}

func TestSQLiteMigrations(t *testing.T) {
	runMigrationSuite(t, func(t *testing.T) string { return sqliteDSN(t) })
}

// TestSQLitePragmas checks the settings are really in force on both connection kinds.
func TestSQLitePragmas(t *testing.T) {
	dsn := sqliteDSN(t)
	s := openStore(t, dsn)
	if _, err := os.Stat(dsn); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	for _, tc := range []struct {
		conn string
		name string
		want string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "5000"},
		{"writer", "synchronous", "1"}, // NORMAL
		{"writer", "query_only", "0"},
		{"reader", "journal_mode", "wal"},
		{"reader", "foreign_keys", "1"},
		{"reader", "busy_timeout", "5000"},
		{"reader", "query_only", "1"},
	} {
		db := s.w
		if tc.conn == "reader" {
			db = s.r
		}
		var got string
		if err := db.Raw("PRAGMA " + tc.name).Row().Scan(&got); err != nil {
			t.Fatalf("%s PRAGMA %s: %v", tc.conn, tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s PRAGMA %s = %q, want %q", tc.conn, tc.name, got, tc.want)
		}
	}
	wdb, err := s.w.DB()
	if err != nil {
		t.Fatal(err)
	}
	if n := wdb.Stats().MaxOpenConnections; n != 1 {
		t.Fatalf("writer pool allows %d connections, want 1", n)
	}
	if s.r == s.w {
		t.Fatal("file database has no separate reader pool")
	}
	// Readers cannot write, so nothing bypasses the single writer.
	if err := s.r.Exec("DELETE FROM calls").Error; err == nil {
		t.Fatal("reader connection accepted a write")
	}
}

// TestSQLiteDSNForms opens the DSN shapes an operator may configure.
func TestSQLiteDSNForms(t *testing.T) {
	dir := t.TempDir()
	for _, dsn := range []string{
		filepath.Join(dir, "plain.db"),
		"file:" + filepath.Join(dir, "uri", "x.db"),
		"file:" + filepath.Join(dir, "withparams.db") + "?_busy_timeout=9000",
		":memory:",
		"file::memory:?cache=shared",
	} {
		t.Run(dsn, func(t *testing.T) {
			s := openStore(t, dsn)
			c := createCall(t, s)
			if _, err := s.GetCall(context.Background(), c.ID); err != nil {
				t.Fatalf("read back through %s: %v", dsn, err)
			}
		})
	}
	// An operator's own parameter wins over the default.
	s := openStore(t, "file:"+filepath.Join(dir, "busy.db")+"?_busy_timeout=9000")
	var busy int
	if err := s.w.Raw("PRAGMA busy_timeout").Row().Scan(&busy); err != nil || busy != 9000 {
		t.Fatalf("busy_timeout = %d, %v; want 9000", busy, err)
	}
}

func TestWithSQLiteParams(t *testing.T) {
	p := [][2]string{{"_a", "1"}, {"_b", "x y"}}
	for in, want := range map[string]string{
		"data/x.db":             "data/x.db?_a=1&_b=x+y",
		"file:x.db?mode=rwc":    "file:x.db?mode=rwc&_a=1&_b=x+y",
		"file:x.db?_a=7":        "file:x.db?_a=7&_b=x+y",
		"x.db?_a=7&_b=z":        "x.db?_a=7&_b=z",
		"/abs/path with sp.db":  "/abs/path with sp.db?_a=1&_b=x+y",
		"file:///abs/x.db?_b=q": "file:///abs/x.db?_b=q&_a=1",
	} {
		if got := withSQLiteParams(in, p); got != want {
			t.Errorf("withSQLiteParams(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"data/x.db":           "data/x.db",
		"file:data/x.db?a=b":  "data/x.db",
		"file:///abs/x.db":    "/abs/x.db",
		"/abs/x.db?_fk=1":     "/abs/x.db",
		"file:rel/dir/y.db":   "rel/dir/y.db",
		"file:/abs/dir/y.db":  "/abs/dir/y.db",
		"file:x.db?mode=rwc":  "x.db",
		"relative/dir/z.db":   "relative/dir/z.db",
		"file:a%20b/c.db?x=y": "a b/c.db",
	} {
		if got := sqlitePath(in); got != want {
			t.Errorf("sqlitePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenFailsCleanly: an unusable path is an error naming it, not a panic or a half-open store.
func TestOpenFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), filepath.Join(blocker, "sub", "db.sqlite"), testLog(t))
	if err == nil {
		t.Fatal("opened a database under a regular file")
	}
	if !strings.Contains(err.Error(), "create database directory") {
		t.Fatalf("error %q does not say what failed", err)
	}
}

// TestSQLiteQueryPlans: the history queries are answered from an index, not a table scan.
func TestSQLiteQueryPlans(t *testing.T) {
	s := newSQLiteStore(t)
	for _, tc := range []struct {
		query string
		index string
	}{
		{"SELECT * FROM calls WHERE number = '+1' ORDER BY started_at DESC", "idx_calls_number_started"},
		{"SELECT * FROM calls WHERE status = 'on_hold'", "idx_calls_status"},
		{"SELECT * FROM calls ORDER BY started_at DESC LIMIT 20", "idx_calls_started_at"},
		{"SELECT * FROM calls WHERE lower(company) = lower('x') ORDER BY started_at DESC", "idx_calls_company_started"},
		{"SELECT * FROM call_events WHERE call_id = 'c' AND seq > 5 ORDER BY seq", "idx_call_events_call_seq"},
		{"SELECT * FROM call_flows WHERE phone_number = '+1'", "idx_call_flows_phone_number"},
	} {
		rows, err := s.r.Raw("EXPLAIN QUERY PLAN " + tc.query).Rows()
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		_ = rows.Close()
		if !strings.Contains(strings.Join(plan, "\n"), tc.index) {
			t.Errorf("%s\nplan %q does not use %s", tc.query, plan, tc.index)
		}
	}
}
