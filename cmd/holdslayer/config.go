package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/holdslayer/holdslayer/internal/service"
)

// Config is every setting of the service; the table below binds each to a flag and a
// HOLDSLAYER_* variable.
type Config = service.Config

// setting describes one configuration value: where it comes from and how it is shown.
type setting struct {
	name   string // flag name; the variable is HOLDSLAYER_ + upper(name with - as _)
	def    string // default; may name another setting as {data-dir}
	secret bool   // masked in `holdslayer config`, no flag (use the variable or _FILE)
	help   string
	bind   func(c *Config, v string) error
	get    func(c *Config) string
	isBool bool // a bare -flag means true
}

// binding ties a setting to its Config field.
type binding struct {
	bind   func(c *Config, v string) error
	get    func(c *Config) string
	isBool bool
}

func str(p func(*Config) *string) binding {
	return binding{
		bind: func(c *Config, v string) error { *p(c) = v; return nil },
		get:  func(c *Config) string { return *p(c) },
	}
}

func integer(p func(*Config) *int) binding {
	return binding{
		bind: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("must be a non-negative integer, got %q", v)
			}
			*p(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*p(c)) },
	}
}

func boolean(p func(*Config) *bool) binding {
	return binding{
		bind: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("must be true or false, got %q", v)
			}
			*p(c) = b
			return nil
		},
		get:    func(c *Config) string { return strconv.FormatBool(*p(c)) },
		isBool: true,
	}
}

func mk(name, def string, secret bool, help string, b binding) setting {
	return setting{name: name, def: def, secret: secret, help: help, bind: b.bind, get: b.get, isBool: b.isBool}
}

// settings is the table of every setting; adding one is one line here plus its field.
var settings = []setting{
	mk("listen", "127.0.0.1:8000", false, "HTTP listen address (host:port)", str(func(c *Config) *string { return &c.Listen })),
	mk("data-dir", "./data", false, "directory for the database and recordings", str(func(c *Config) *string { return &c.DataDir })),
	mk("db", "{data-dir}/holdslayer.db", false, "database: SQLite file path or postgres:// URL", str(func(c *Config) *string { return &c.DB })),
	mk("api-token", "", true, "bearer token for /api, /ws and /mcp (required off loopback)", str(func(c *Config) *string { return &c.APIToken })),
	mk("ari-url", "", false, "Asterisk ARI base URL, e.g. http://127.0.0.1:8088/ari (empty: the built-in simulated Asterisk)", str(func(c *Config) *string { return &c.ARIURL })),
	mk("ari-user", "", false, "ARI user name", str(func(c *Config) *string { return &c.ARIUser })),
	mk("ari-password", "", true, "ARI password", str(func(c *Config) *string { return &c.ARIPassword })),
	mk("ari-app", "holdslayer", false, "Stasis application name", str(func(c *Config) *string { return &c.ARIApp })),
	mk("openai-api-key", "", true, "OpenAI-compatible API key for speech and navigation", str(func(c *Config) *string { return &c.OpenAIAPIKey })),
	mk("openai-base-url", "", false, "OpenAI-compatible base URL (empty: the library default)", str(func(c *Config) *string { return &c.OpenAIBaseURL })),
	mk("recordings-dir", "{data-dir}/recordings", false, "where call recordings are kept", str(func(c *Config) *string { return &c.RecordingsDir })),
	mk("dial-template", "PJSIP/{number}@trunk", false, "Asterisk endpoint a company number is dialled through", str(func(c *Config) *string { return &c.DialTemplate })),
	mk("media-host", "127.0.0.1", false, "address Asterisk sends externalMedia RTP to", str(func(c *Config) *string { return &c.MediaHost })),
	mk("log-level", "info", false, "debug, info, warn or error", str(func(c *Config) *string { return &c.LogLevel })),
	mk("log-format", "text", false, "text or json", str(func(c *Config) *string { return &c.LogFormat })),
	mk("max-calls", "10", false, "most calls at once", integer(func(c *Config) *int { return &c.MaxCalls })),
	mk("home-country", "1", false, "country calling code numbers are domestic in; others are refused unless allowed", str(func(c *Config) *string { return &c.HomeCountry })),
	mk("allow-international", "false", false, "allow dialling numbers outside the home country", boolean(func(c *Config) *bool { return &c.AllowIntl })),
	mk("simulate", "false", false, "run against the built-in simulated Asterisk even if an ARI URL is set", boolean(func(c *Config) *bool { return &c.Simulate })),
	mk("stt-model", "whisper-1", false, "speech-to-text model at the OpenAI-compatible URL", str(func(c *Config) *string { return &c.STTModel })),
	mk("llm-model", "gpt-4o-mini", false, "chat model that navigates menus the matcher cannot (needs an API key)", str(func(c *Config) *string { return &c.LLMModel })),
	mk("live-check", "true", false, "ask \"are you a live representative?\" before ringing you", boolean(func(c *Config) *bool { return &c.LiveCheck })),
	mk("agent-greeting", "", false, "what the agent hears before you are connected (empty: a built-in sentence)", str(func(c *Config) *string { return &c.AgentGreeting })),
	mk("shutdown-wait-ms", "15000", false, "how long a shutdown waits for requests to finish", integer(func(c *Config) *int { return &c.ShutdownWaitMS })),
}

// flagValue holds a flag as text until the settings are resolved; boolean settings accept a
// bare -flag as "true", as the flag package does for its own booleans.
type flagValue struct {
	v      string
	isBool bool
}

func (f *flagValue) String() string     { return f.v }
func (f *flagValue) Set(s string) error { f.v = s; return nil }

// IsBoolFlag tells the flag package that -name alone means true.
func (f *flagValue) IsBoolFlag() bool { return f.isBool }

// envName is the variable a setting is read from.
func (s setting) envName() string {
	return "HOLDSLAYER_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

// defaultValue expands {other-setting} references against the already-loaded config.
func (s setting) defaultValue(c *Config) string {
	d := s.def
	for _, o := range settings {
		ref := "{" + o.name + "}"
		if strings.Contains(d, ref) {
			d = strings.ReplaceAll(d, ref, strings.TrimRight(o.get(c), "/"))
		}
	}
	return d
}

// loadConfig builds the config: defaults, then HOLDSLAYER_* variables (secrets also from
// HOLDSLAYER_*_FILE), then flags. lookup is os.LookupEnv in main, a map in tests.
func loadConfig(fs *flag.FlagSet, args []string, lookup func(string) (string, bool)) (Config, error) {
	var c Config
	flagVals := map[string]*flagValue{}
	for _, s := range settings {
		if !s.secret {
			v := &flagValue{v: s.def, isBool: s.isBool}
			flagVals[s.name] = v
			fs.Var(v, s.name, s.help+" (env "+s.envName()+")")
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// Settings are resolved in table order, so a {data-dir} default sees the final data dir.
	for _, s := range settings {
		v, err := s.source(lookup)
		if err != nil {
			return c, err
		}
		if set[s.name] {
			v = flagVals[s.name].v
		}
		if v == "" {
			v = s.defaultValue(&c)
		}
		if err := s.bind(&c, v); err != nil {
			return c, fmt.Errorf("setting %s: %w", s.envName(), err)
		}
	}
	c.MaxBodyBytes = 1 << 20
	return c, validate(c)
}

// source reads the variable, or for a secret the file its _FILE variable names.
func (s setting) source(lookup func(string) (string, bool)) (string, error) {
	if v, ok := lookup(s.envName()); ok && v != "" {
		return v, nil
	}
	if !s.secret {
		return "", nil
	}
	path, ok := lookup(s.envName() + "_FILE")
	if !ok || path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s_FILE: %w", s.envName(), err)
	}
	return strings.TrimSpace(string(b)), nil
}

func validate(c Config) error {
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("HOLDSLAYER_LOG_FORMAT must be text or json, got %q", c.LogFormat)
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("HOLDSLAYER_LISTEN must be host:port, got %q: %w", c.Listen, err)
	}
	if c.ARIURL != "" && (c.ARIUser == "" || c.ARIPassword == "") {
		return errors.New("HOLDSLAYER_ARI_URL is set: HOLDSLAYER_ARI_USER and HOLDSLAYER_ARI_PASSWORD are required too")
	}
	if !strings.Contains(c.DialTemplate, "{number}") {
		return fmt.Errorf("HOLDSLAYER_DIAL_TEMPLATE must contain {number}, got %q", c.DialTemplate)
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("HOLDSLAYER_LOG_LEVEL must be debug, info, warn or error, got %q", s)
	}
	return l, nil
}

// printConfig lists every setting with its variable, default and current value; secrets show
// only whether they are set.
func printConfig(w io.Writer, c Config) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVARIABLE\tDEFAULT\tCURRENT\tDESCRIPTION")
	for _, s := range settings {
		cur := s.get(&c)
		if s.secret {
			if cur != "" {
				cur = "******** (set)"
			} else {
				cur = "(not set)"
			}
		}
		def := s.def
		if def == "" {
			def = `""`
		}
		if cur == "" {
			cur = `""`
		}
		name := s.envName()
		if s.secret {
			name += " / _FILE"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.name, name, def, cur, s.help)
	}
	_ = tw.Flush()
}
