package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holdslayer/holdslayer/internal/service"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func load(t *testing.T, args []string, vars map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return loadConfig(fs, args, env(vars))
}

func TestConfigDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Listen: "127.0.0.1:8000", DataDir: "./data", DB: "./data/holdslayer.db", ARIApp: "holdslayer",
		RecordingsDir: "./data/recordings", DialTemplate: "PJSIP/{number}@trunk", MediaHost: "127.0.0.1",
		LogLevel: "info", LogFormat: "text", MaxCalls: 10, HomeCountry: "1", STTModel: "whisper-1", LLMModel: "gpt-4o-mini", LiveCheck: true, MaxBodyBytes: 1 << 20, ShutdownWaitMS: 15000}
	if c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestConfigEnvFlagsAndFiles(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(t, []string{"-listen", "127.0.0.1:9999", "-max-calls", "3"}, map[string]string{
		"HOLDSLAYER_LISTEN":         "127.0.0.1:7000",
		"HOLDSLAYER_DATA_DIR":       "/var/lib/hs/",
		"HOLDSLAYER_API_TOKEN_FILE": tokenFile,
		"HOLDSLAYER_ARI_URL":        "http://127.0.0.1:8088/ari",
		"HOLDSLAYER_ARI_USER":       "hs",
		"HOLDSLAYER_ARI_PASSWORD":   "pw",
		"HOLDSLAYER_LOG_LEVEL":      "debug",
		"HOLDSLAYER_MAX_CALLS":      "7",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.MaxCalls != 3 {
		t.Errorf("flags must win over variables: %+v", c)
	}
	if c.DB != "/var/lib/hs/holdslayer.db" || c.RecordingsDir != "/var/lib/hs/recordings" {
		t.Errorf("paths must follow the data dir: db %q, recordings %q", c.DB, c.RecordingsDir)
	}
	if c.APIToken != "from-file" || c.ARIPassword != "pw" || c.LogLevel != "debug" {
		t.Errorf("variables/files not read: %+v", c)
	}
	// A variable beats its _FILE.
	c, err = load(t, nil, map[string]string{"HOLDSLAYER_API_TOKEN": "direct", "HOLDSLAYER_API_TOKEN_FILE": tokenFile})
	if err != nil || c.APIToken != "direct" {
		t.Errorf("token = %q, %v", c.APIToken, err)
	}
	c, err = load(t, nil, map[string]string{"HOLDSLAYER_DB": "postgres://u:p@127.0.0.1/hs"})
	if err != nil || c.DB != "postgres://u:p@127.0.0.1/hs" {
		t.Errorf("db = %q, %v", c.DB, err)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		args []string
		vars map[string]string
		frag string
	}{
		{nil, map[string]string{"HOLDSLAYER_MAX_CALLS": "many"}, "HOLDSLAYER_MAX_CALLS"},
		{nil, map[string]string{"HOLDSLAYER_LOG_LEVEL": "loud"}, "HOLDSLAYER_LOG_LEVEL"},
		{nil, map[string]string{"HOLDSLAYER_LISTEN": "8000"}, "HOLDSLAYER_LISTEN"},
		{nil, map[string]string{"HOLDSLAYER_ARI_URL": "http://x"}, "HOLDSLAYER_ARI_USER"},
		{nil, map[string]string{"HOLDSLAYER_DIAL_TEMPLATE": "PJSIP/trunk"}, "{number}"},
		{nil, map[string]string{"HOLDSLAYER_API_TOKEN_FILE": "/nonexistent/token"}, "HOLDSLAYER_API_TOKEN_FILE"},
		{[]string{"-api-token", "x"}, nil, "api-token"},
		{[]string{"extra"}, nil, "unexpected argument"},
	}
	for _, tc := range cases {
		if _, err := load(t, tc.args, tc.vars); err == nil || !strings.Contains(err.Error(), tc.frag) {
			t.Errorf("%v %v: error %v, want one naming %s", tc.args, tc.vars, err, tc.frag)
		}
	}
}

func TestCheckListen(t *testing.T) {
	cases := []struct {
		listen, token string
		ok            bool
	}{
		{"127.0.0.1:8000", "", true},
		{"localhost:8000", "", true},
		{"[::1]:8000", "", true},
		{"127.0.0.2:8000", "", true},
		{"0.0.0.0:8000", "", false},
		{":8000", "", false},
		{"[::]:8000", "", false},
		{"192.168.1.10:8000", "", false},
		{"example.com:8000", "", false},
		{"0.0.0.0:8000", "tok", true},
		{"nonsense", "tok", false},
	}
	for _, tc := range cases {
		err := service.CheckListen(tc.listen, tc.token)
		if (err == nil) != tc.ok {
			t.Errorf("CheckListen(%q, %q) = %v, want ok=%v", tc.listen, tc.token, err, tc.ok)
		}
		if err != nil && tc.listen != "nonsense" && !strings.Contains(err.Error(), "HOLDSLAYER_API_TOKEN") {
			t.Errorf("error does not say how to fix it: %v", err)
		}
	}
}

func TestRunRefusesPublicListenWithoutToken(t *testing.T) {
	for _, cmd := range []string{"serve", "demo"} {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{cmd, "-listen", "0.0.0.0:0", "-data-dir", t.TempDir()}, env(nil), &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), "refusing to listen on 0.0.0.0:0") {
			t.Errorf("%s: code %d, stderr %q", cmd, code, errb.String())
		}
	}
}

func TestRunSubcommands(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, env(nil), &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "holdslayer ") {
		t.Errorf("version: %d %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"help"}, env(nil), &out, &errb); code != 0 || !strings.Contains(out.String(), "holdslayer config") {
		t.Errorf("help: %d %q", code, out.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"frobnicate"}, env(nil), &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown: %d %q", code, errb.String())
	}
	out.Reset()
	code := run(context.Background(), []string{"config"}, env(map[string]string{
		"HOLDSLAYER_API_TOKEN": "supersecret", "HOLDSLAYER_ARI_URL": "http://127.0.0.1:8088/ari",
		"HOLDSLAYER_ARI_USER": "hs", "HOLDSLAYER_ARI_PASSWORD": "pw-9f8e7d",
	}), &out, &errb)
	text := out.String()
	if code != 0 {
		t.Fatalf("config: %d %s", code, errb.String())
	}
	if strings.Contains(text, "supersecret") || strings.Contains(text, "pw-9f8e7d") {
		t.Error("config printed a secret")
	}
	for _, s := range settings {
		if !strings.Contains(text, s.envName()) {
			t.Errorf("config does not list %s", s.envName())
		}
	}
	for _, want := range []string{"http://127.0.0.1:8088/ari", "(set)", "127.0.0.1:8000", "./data/holdslayer.db"} {
		if !strings.Contains(text, want) {
			t.Errorf("config output lacks %q:\n%s", want, text)
		}
	}
	if code := run(context.Background(), []string{"config", "-h"}, env(nil), &out, io.Discard); code != 0 {
		t.Errorf("config -h: %d", code)
	}
}

// TestBareBooleanFlags: -simulate alone means true, as with the flag package's own booleans,
// and the flag after it is still read.
func TestBareBooleanFlags(t *testing.T) {
	c, err := load(t, []string{"-simulate", "-listen", "127.0.0.1:9999", "-live-check=false"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Simulate || c.Listen != "127.0.0.1:9999" || c.LiveCheck {
		t.Errorf("simulate %v listen %q live-check %v", c.Simulate, c.Listen, c.LiveCheck)
	}
	if _, err := load(t, []string{"-listen"}, nil); err == nil {
		t.Error("a string flag without a value was accepted")
	}
}
