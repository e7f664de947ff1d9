// Command holdslayer is the Hold Slayer service and its tools: `serve` runs the service,
// `config` shows the settings, `classify` labels an audio file, `version` and `help` say what
// they say. Configuration is read here and only here.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	// Embedded zone data, so analytics' ?tz= works on hosts without the tzdata package.
	"os/signal"
	"runtime/debug"
	"syscall"
	_ "time/tzdata"

	"github.com/holdslayer/holdslayer/internal/service"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `Hold Slayer: calls a company for you, waits on hold, rings you when a person answers.

Usage:
  holdslayer [serve] [flags]        run the service (the default)
  holdslayer demo [flags]           run the service against the simulated Asterisk (3 companies)
  holdslayer config [flags]         list every setting: variable, default, current value
  holdslayer classify [flags] FILE  label the audio of a WAV file
  holdslayer mcp [-url URL] [-local]  MCP over stdio for desktop assistants
  holdslayer version                print the version
  holdslayer help                   this text

Every setting is a flag of serve/config and a HOLDSLAYER_* variable; secrets are variables
only, or files named by HOLDSLAYER_*_FILE. Run "holdslayer config" to see them all.
`

// run dispatches a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "demo":
		cfg, code, ok := parseConfig(cmd, args, lookup, stderr)
		if !ok {
			return code
		}
		// demo is serve against the built-in simulated Asterisk, whatever HOLDSLAYER_ARI_URL says.
		cfg.Simulate = cfg.Simulate || cmd == "demo"
		log, err := newLogger(cfg, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "holdslayer:", err)
			return 2
		}
		if err := service.Serve(ctx, cfg, log, service.Options{Version: buildVersion(), Getenv: getenv(lookup)}); err != nil {
			log.Error("service stopped", "err", err)
			return 1
		}
		return 0
	case "config":
		cfg, code, ok := parseConfig("config", args, lookup, stderr)
		if !ok {
			return code
		}
		printConfig(stdout, cfg)
		return 0
	case "classify":
		return runClassify(args, stdout, stderr)
	case "mcp":
		return mcpCommand(ctx, args, lookup, os.Stdin, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "holdslayer", buildVersion())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "holdslayer: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// parseConfig reads flags and variables for a subcommand; ok is false when the caller should
// exit with code (0 after -h).
func parseConfig(name string, args []string, lookup func(string) (string, bool), stderr io.Writer) (Config, int, bool) {
	fs := flag.NewFlagSet("holdslayer "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args, lookup)
	if errors.Is(err, flag.ErrHelp) {
		return cfg, 0, false
	}
	if err != nil {
		fmt.Fprintln(stderr, "holdslayer:", err)
		return cfg, 2, false
	}
	return cfg, 0, true
}

func newLogger(cfg Config, w io.Writer) (*slog.Logger, error) {
	level, err := parseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

func buildVersion() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}

// getenv adapts the variable lookup to os.Getenv's shape (desktop notifications look for a
// desktop session).
func getenv(lookup func(string) (string, bool)) func(string) string {
	return func(k string) string { v, _ := lookup(k); return v }
}
