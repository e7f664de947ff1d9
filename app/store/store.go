// Package store keeps Hold Slayer's calls, events, transcripts, call flows, devices and
// recordings in a SQL database through gorm: a SQLite file by default, PostgreSQL when the DSN
// is a postgres:// URL. It implements app.Store; gorm types never leave this package.
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/holdslayer/holdslayer/app"
)

var _ app.Store = (*Store)(nil)

// SQLite connection settings: the busy timeout lets a writer wait out a checkpoint or another
// process instead of failing at once.
const (
	sqliteBusyTimeout = 5 * time.Second
	slowQuery         = 500 * time.Millisecond
)

// Store is the gorm-backed app.Store. With SQLite, writes go through one connection (SQLite
// allows a single writer; one Go-side connection avoids SQLITE_BUSY between our own writers)
// while reads use a small pool that WAL lets run beside the writer.
type Store struct {
	w       *gorm.DB // writer: the only connection that changes data
	r       *gorm.DB // readers; the same as w for PostgreSQL and in-memory SQLite
	dialect dialect
	log     *slog.Logger
}

// Open connects to dsn, applies pending schema migrations and returns a ready store.
// dsn is a SQLite path ("data/holdslayer.db", "file:x.db?...", ":memory:") or a
// postgres:// / postgresql:// URL.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	s, err := connect(ctx, dsn, log)
	if err != nil {
		return nil, err
	}
	version, err := migrate(ctx, s.w, s.dialect, len(migrations))
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	s.log.Info("database ready", "driver", s.dialect.name, "schema_version", version)
	return s, nil
}

// connect opens and pings the database without touching its schema.
func connect(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Store{log: log.With("component", "store")}
	var err error
	if isPostgresDSN(dsn) {
		err = s.openPostgres(dsn)
	} else {
		err = s.openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func isPostgresDSN(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

func (s *Store) gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger: quietLogger{logger.NewSlogLogger(s.log, logger.Config{
			SlowThreshold:             slowQuery,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true, // never log values: numbers and transcripts are personal
		})},
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return now() },
	}
}

func (s *Store) openPostgres(dsn string) error {
	db, err := gorm.Open(postgres.Open(dsn), s.gormConfig())
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(4)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s.w, s.r, s.dialect = db, db, postgresDialect
	return nil
}

func (s *Store) openSQLite(dsn string) error {
	if dsn == "" {
		return fmt.Errorf("open sqlite: empty database path")
	}
	memory := isSQLiteMemory(dsn)
	if !memory {
		if err := ensureParentDir(dsn); err != nil {
			return err
		}
	}
	busy := fmt.Sprint(sqliteBusyTimeout.Milliseconds())
	writerDSN := withSQLiteParams(dsn, [][2]string{
		{"_journal_mode", "WAL"},
		{"_synchronous", "NORMAL"},
		{"_foreign_keys", "on"},
		{"_busy_timeout", busy},
		// Take the write lock at BEGIN, so a transaction never fails half-way on an upgrade
		// from a read lock when another process writes too.
		{"_txlock", "immediate"},
	})
	w, err := gorm.Open(sqlite.Open(writerDSN), s.gormConfig())
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	wdb, err := w.DB()
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	s.w, s.r, s.dialect = w, w, sqliteDialect
	if memory {
		// Each connection to :memory: is its own database: readers must share the writer.
		return nil
	}
	// Make sure the file exists and is in WAL mode before readers attach.
	if err := wdb.Ping(); err != nil {
		_ = wdb.Close()
		return fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	readerDSN := withSQLiteParams(dsn, [][2]string{
		{"_foreign_keys", "on"},
		{"_busy_timeout", busy},
		{"_query_only", "on"},
	})
	r, err := gorm.Open(sqlite.Open(readerDSN), s.gormConfig())
	if err != nil {
		_ = wdb.Close()
		return fmt.Errorf("open sqlite readers %s: %w", dsn, err)
	}
	rdb, err := r.DB()
	if err != nil {
		_ = wdb.Close()
		return fmt.Errorf("open sqlite readers %s: %w", dsn, err)
	}
	n := max(runtime.GOMAXPROCS(0), 4)
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	s.r = r
	return nil
}

// isSQLiteMemory reports whether dsn names an in-memory database.
func isSQLiteMemory(dsn string) bool {
	return strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory")
}

// sqlitePath extracts the file path from a plain path or a file: URI.
func sqlitePath(dsn string) string {
	p := dsn
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if rest, ok := strings.CutPrefix(p, "file:"); ok {
		if u, err := url.Parse(p); err == nil && u.Path != "" {
			return u.Path
		}
		if un, err := url.PathUnescape(rest); err == nil {
			return un
		}
		return rest
	}
	return p
}

func ensureParentDir(dsn string) error {
	dir := filepath.Dir(sqlitePath(dsn))
	if dir == "" || dir == "." {
		return nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create database directory: %w", err)
	}
	return nil
}

// withSQLiteParams adds the go-sqlite3 connection parameters to dsn unless the DSN already sets
// them, so an operator can still override one.
func withSQLiteParams(dsn string, params [][2]string) string {
	base, query, _ := strings.Cut(dsn, "?")
	existing, _ := url.ParseQuery(query)
	var add []string
	for _, p := range params {
		if _, set := existing[p[0]]; set {
			continue
		}
		add = append(add, p[0]+"="+url.QueryEscape(p[1]))
	}
	all := query
	if len(add) > 0 {
		if all != "" {
			all += "&"
		}
		all += strings.Join(add, "&")
	}
	if all == "" {
		return base
	}
	return base + "?" + all
}

// Close releases every connection. The store must not be used afterwards.
func (s *Store) Close() error {
	var errs []error
	closeDB := func(db *gorm.DB) {
		if db == nil {
			return
		}
		sqlDB, err := db.DB()
		if err != nil {
			errs = append(errs, err)
			return
		}
		errs = append(errs, sqlDB.Close())
	}
	if s.r != s.w {
		closeDB(s.r)
	}
	closeDB(s.w)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Ping checks that the database answers on both the writer and the reader pool.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range []*gorm.DB{s.w, s.r} {
		sqlDB, err := db.DB()
		if err != nil {
			return fmt.Errorf("ping database: %w", err)
		}
		if err := sqlDB.PingContext(ctx); err != nil {
			return fmt.Errorf("ping database: %w", err)
		}
	}
	return nil
}

// quietLogger keeps gorm from logging the errors this package turns into ErrNotFound or
// ErrConflict: they are answers, not faults.
type quietLogger struct{ logger.Interface }

func (q quietLogger) LogMode(l logger.LogLevel) logger.Interface {
	return quietLogger{q.Interface.LogMode(l)}
}

func (q quietLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if errors.Is(err, gorm.ErrDuplicatedKey) || errors.Is(err, gorm.ErrForeignKeyViolated) {
		err = nil
	}
	q.Interface.Trace(ctx, begin, fc, err)
}

// now is the store's notion of the current time: UTC at microsecond precision, the finest
// both SQLite and PostgreSQL keep, so a value reads back exactly as written.
func now() time.Time { return normTime(time.Now()) }

func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := normTime(*t)
	return &v
}

// newID returns prefix followed by 16 random hex digits, e.g. call_3f9a0c1d2e4b5a69.
func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + hex.EncodeToString(b[:])
}

// dbErr wraps a database error with lowercase context naming what was being done.
func dbErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isDuplicate reports whether err is a unique or primary-key violation.
func isDuplicate(err error) bool { return errors.Is(err, gorm.ErrDuplicatedKey) }

// isMissingParent reports whether err is a foreign-key violation (the referenced call is gone).
func isMissingParent(err error) bool { return errors.Is(err, gorm.ErrForeignKeyViolated) }
