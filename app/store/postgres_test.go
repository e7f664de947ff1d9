package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// postgresBin is where Debian's postgresql package puts the server binaries.
const postgresBin = "/usr/lib/postgresql/15/bin"

// TestPostgres runs the shared suite and the migration tests against a real PostgreSQL: the
// server named by HOLDSLAYER_TEST_POSTGRES_DSN (a postgres:// URL of a role that may create
// databases), or else one started here from Debian's binaries. Each subtest gets a fresh
// database.
func TestPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping PostgreSQL in -short mode")
	}
	admin := os.Getenv("HOLDSLAYER_TEST_POSTGRES_DSN")
	if admin == "" {
		admin = startPostgres(t)
	}
	newDSN := freshDatabases(t, admin)
	t.Run("Suite", func(t *testing.T) {
		runSuite(t, func(t *testing.T) *Store { return openStore(t, newDSN(t)) })
	})
	t.Run("Migrations", func(t *testing.T) { runMigrationSuite(t, newDSN) })
}

// TestPostgresUnreachable: a postgres DSN nobody listens on fails Open with an error, promptly.
func TestPostgresUnreachable(t *testing.T) {
	dsn := fmt.Sprintf("postgres://nobody@127.0.0.1:%d/x?sslmode=disable&connect_timeout=2", freePort(t))
	s, err := Open(t.Context(), dsn, testLog(t))
	if err == nil {
		_ = s.Close()
		t.Fatal("opened a database on a closed port")
	}
	if !strings.Contains(err.Error(), "database") && !strings.Contains(err.Error(), "postgres") {
		t.Fatalf("error %q does not say what failed", err)
	}
}

// freshDatabases returns a function that creates an empty database on the admin DSN's server
// for one test and drops it when that test ends.
func freshDatabases(t *testing.T, admin string) func(t *testing.T) string {
	u, err := url.Parse(admin)
	if err != nil || !isPostgresDSN(admin) {
		t.Fatalf("postgres admin DSN must be a postgres:// URL: %v", err)
	}
	db, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("connect to postgres: %v", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	return func(t *testing.T) string {
		var b [6]byte
		_, _ = rand.Read(b[:])
		name := "holdslayer_test_" + hex.EncodeToString(b[:])
		if err := db.Exec(`CREATE DATABASE "` + name + `"`).Error; err != nil {
			t.Fatalf("create database %s: %v", name, err)
		}
		t.Cleanup(func() {
			if err := db.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`).Error; err != nil {
				t.Errorf("drop database %s: %v", name, err)
			}
		})
		du := *u
		du.Path = "/" + name
		return du.String()
	}
}

// startPostgres runs initdb and pg_ctl in the test's temp dir, on a free loopback port with its
// socket in the temp dir too, and stops the server when the test ends. PostgreSQL refuses to
// run as root, so as root the commands run as the postgres system user.
func startPostgres(t *testing.T) string {
	t.Helper()
	for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(postgresBin, b)); err != nil {
			t.Skipf("no PostgreSQL server binaries (%s): install Debian package postgresql-15 or set HOLDSLAYER_TEST_POSTGRES_DSN", err)
		}
	}
	root := os.Geteuid() == 0
	var pgUID, pgGID int
	if root {
		pu, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and there is no postgres user to run the server as (%v): set HOLDSLAYER_TEST_POSTGRES_DSN", err)
		}
		pgUID, _ = strconv.Atoi(pu.Uid)
		pgGID, _ = strconv.Atoi(pu.Gid)
		if _, err := exec.LookPath("runuser"); err != nil {
			if _, err := exec.LookPath("su"); err != nil {
				t.Skip("running as root with neither runuser nor su to drop to the postgres user: set HOLDSLAYER_TEST_POSTGRES_DSN")
			}
		}
	}

	tmp := t.TempDir()
	work := filepath.Join(tmp, "pg")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	if root {
		// The postgres user must reach its directory through the test's private temp dirs.
		for _, d := range []string{filepath.Dir(tmp), tmp} {
			if err := os.Chmod(d, 0o711); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(work, pgUID, pgGID); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(work, "data")
	logFile := filepath.Join(work, "server.log")
	port := freePort(t)

	run := func(name string, args ...string) {
		t.Helper()
		out, err := os.CreateTemp(tmp, name+"-*.out")
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		cmd := asPostgres(root, filepath.Join(postgresBin, name), args...)
		cmd.Dir = tmp
		// A file, not a pipe: the server pg_ctl starts inherits these descriptors and would keep
		// a pipe open until it exits.
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			b, _ := os.ReadFile(out.Name())
			l, _ := os.ReadFile(logFile)
			t.Fatalf("%s: %v\n%s\n%s", name, err, b, l)
		}
	}
	run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, work)
	run("pg_ctl", "-D", data, "-l", logFile, "-o", opts, "-w", "-t", "60", "start")
	t.Cleanup(func() {
		cmd := asPostgres(root, filepath.Join(postgresBin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "-t", "30", "stop")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("stop postgres: %v\n%s", err, out)
		}
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=10", port)
}

// asPostgres builds a command that runs as the postgres user when we are root.
func asPostgres(root bool, name string, args ...string) *exec.Cmd {
	if !root {
		return exec.Command(name, args...)
	}
	if _, err := exec.LookPath("runuser"); err == nil {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	quoted := make([]string, 0, len(args)+1)
	for _, a := range append([]string{name}, args...) {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	return exec.Command("su", "postgres", "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
}

// freePort asks the kernel for an unused loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
