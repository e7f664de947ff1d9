package notify

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/holdslayer/holdslayer/app"
)

// Target kinds: how a notification reaches the user.
const (
	KindEmail   = "email"   // SMTP through go-mail
	KindSMS     = "sms"     // Twilio Messages API
	KindWebhook = "webhook" // signed JSON POST
	KindDesktop = "desktop" // local desktop notification (beeep)
	KindPush    = "push"    // any shoutrrr URL: ntfy, gotify, pushover, Slack, Telegram, ...
	KindBrowser = "browser" // no delivery: the dashboard shows notification_sent events
)

// Kinds lists every target kind, for validation and API documentation.
var Kinds = []string{KindEmail, KindSMS, KindWebhook, KindDesktop, KindPush, KindBrowser}

// Rule names a target can list in Events besides plain event types. A hold rule is written
// "hold_longer_than:<minutes>", e.g. "hold_longer_than:15".
const (
	RuleHoldLongerThan = "hold_longer_than"
)

// DefaultEvents is what a target receives when its Events list is empty.
var DefaultEvents = []string{string(app.EventHumanDetected)}

// ruleEvents are the bus event types a target may subscribe to directly.
var ruleEvents = []app.EventType{
	app.EventHumanDetected,
	app.EventCallFailed,
	app.EventCallEnded,
	app.EventTransferFailed,
	app.EventWaitEstimated,
}

// Target is one place notifications go, with the rules that pick its events.
// Config holds non-secret settings; Secrets holds write-only values that no API view, JSON
// encoding or log line ever shows.
type Target struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Kind     string            `json:"kind"`
	Events   []string          `json:"events"`
	DeviceID string            `json:"device_id,omitempty"`
	Enabled  bool              `json:"enabled"`
	Config   map[string]string `json:"config,omitempty"`
	Secrets  map[string]string `json:"secrets,omitempty"`
}

// TargetView is the API's view of a target: everything except secret values. SecretsSet
// names the secret keys that hold a value, so a client can show "password: set".
type TargetView struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	Events     []string          `json:"events"`
	DeviceID   string            `json:"device_id,omitempty"`
	Enabled    bool              `json:"enabled"`
	Config     map[string]string `json:"config"`
	SecretsSet []string          `json:"secrets_set"`
}

// Redacted returns the target without secret values, for the API and logs.
func (t Target) Redacted() TargetView {
	v := TargetView{
		ID: t.ID, Name: t.Name, Kind: t.Kind, DeviceID: t.DeviceID, Enabled: t.Enabled,
		Events: slices.Clone(t.Events), Config: maps.Clone(t.Config), SecretsSet: []string{},
	}
	if v.Events == nil {
		v.Events = []string{}
	}
	if v.Config == nil {
		v.Config = map[string]string{}
	}
	for k, val := range t.Secrets {
		if val != "" {
			v.SecretsSet = append(v.SecretsSet, k)
		}
	}
	slices.Sort(v.SecretsSet)
	return v
}

// MarshalJSON encodes the redacted view, so a Target written to JSON never carries secrets.
// Decoding still accepts "secrets", which is how the API receives them.
func (t Target) MarshalJSON() ([]byte, error) { return json.Marshal(t.Redacted()) }

// LogValue makes slog print the redacted view, never secret values.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", t.ID), slog.String("name", t.Name), slog.String("kind", t.Kind),
		slog.Bool("enabled", t.Enabled), slog.Any("events", t.Events),
	)
}

// String is the redacted form, for %v.
func (t Target) String() string {
	return fmt.Sprintf("target %s (%s, %s)", t.ID, t.Kind, t.Name)
}

// Clone returns a deep copy, so stores and callers never share maps.
func (t Target) Clone() Target {
	t.Events = slices.Clone(t.Events)
	t.Config = maps.Clone(t.Config)
	t.Secrets = maps.Clone(t.Secrets)
	return t
}

// EffectiveEvents is the target's rule list, DefaultEvents when empty.
func (t Target) EffectiveEvents() []string {
	if len(t.Events) == 0 {
		return DefaultEvents
	}
	return t.Events
}

// wants reports whether the target subscribes to a rule (an event type or "hold_longer_than:N").
func (t Target) wants(rule string) bool { return slices.Contains(t.EffectiveEvents(), rule) }

// holdThresholds returns the target's hold rules in minutes.
func (t Target) holdThresholds() []int {
	var out []int
	for _, e := range t.EffectiveEvents() {
		if m, ok := parseHoldRule(e); ok {
			out = append(out, m)
		}
	}
	return out
}

// HoldRule formats the rule name for a hold longer than minutes.
func HoldRule(minutes int) string { return RuleHoldLongerThan + ":" + strconv.Itoa(minutes) }

func parseHoldRule(s string) (int, bool) {
	rest, ok := strings.CutPrefix(s, RuleHoldLongerThan+":")
	if !ok {
		return 0, false
	}
	m, err := strconv.Atoi(rest)
	if err != nil || m <= 0 || m > 24*60 {
		return 0, false
	}
	return m, true
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", app.ErrInvalid, fmt.Sprintf(format, args...))
}

// Validate checks the kind, the rule list and each kind's required settings. Errors wrap
// app.ErrInvalid and name the offending field, never a secret's value.
func (t Target) Validate() error {
	if strings.TrimSpace(t.Name) == "" {
		return invalid("target name is required")
	}
	if !slices.Contains(Kinds, t.Kind) {
		return invalid("target kind %q is not one of %s", t.Kind, strings.Join(Kinds, ", "))
	}
	for _, e := range t.Events {
		if strings.HasPrefix(e, RuleHoldLongerThan) {
			if _, ok := parseHoldRule(e); !ok {
				return invalid("event rule %q: want %s:<minutes> with 1..1440 minutes", e, RuleHoldLongerThan)
			}
			continue
		}
		if !slices.Contains(ruleEvents, app.EventType(e)) {
			return invalid("event rule %q is not one of %s or %s:<minutes>", e, joinTypes(ruleEvents), RuleHoldLongerThan)
		}
	}
	c := func(k string) string { return strings.TrimSpace(t.Config[k]) }
	s := func(k string) string { return t.Secrets[k] }
	switch t.Kind {
	case KindEmail:
		if c("host") == "" {
			return invalid("email target needs config.host")
		}
		if p := c("port"); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
				return invalid("email config.port %q is not a port number", p)
			}
		}
		if _, err := mail.ParseAddress(c("from")); err != nil {
			return invalid("email config.from is not an address: %v", err)
		}
		to := splitList(c("to"))
		if len(to) == 0 {
			return invalid("email target needs config.to")
		}
		for _, a := range to {
			if _, err := mail.ParseAddress(a); err != nil {
				return invalid("email config.to %q is not an address: %v", a, err)
			}
		}
		switch c("tls") {
		case "", TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone:
		default:
			return invalid("email config.tls %q is not one of starttls, opportunistic, tls, none", c("tls"))
		}
		if c("username") != "" && s("password") == "" {
			return invalid("email config.username is set but secrets.password is empty")
		}
	case KindSMS:
		if !strings.HasPrefix(c("account_sid"), "AC") {
			return invalid("sms target needs config.account_sid (starts with AC)")
		}
		if s("auth_token") == "" {
			return invalid("sms target needs secrets.auth_token")
		}
		if !e164(c("to")) {
			return invalid("sms config.to %q is not an E.164 number", c("to"))
		}
		if c("from") == "" && c("messaging_service_sid") == "" {
			return invalid("sms target needs config.from or config.messaging_service_sid")
		}
	case KindWebhook:
		u, err := url.Parse(c("url"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalid("webhook target needs config.url with http or https")
		}
	case KindPush:
		if s("url") == "" {
			return invalid("push target needs secrets.url (a shoutrrr URL)")
		}
		if err := checkShoutrrrURL(s("url")); err != nil {
			return invalid("push secrets.url: %v", err)
		}
	case KindDesktop, KindBrowser:
	}
	return nil
}

// mergeSecrets keeps the stored secret for every key the update leaves empty or absent, so a
// client that never sees secrets can edit a target without re-entering them. A key set to the
// single character "-" is deleted.
func mergeSecrets(old, upd map[string]string) map[string]string {
	out := maps.Clone(old)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range upd {
		switch v {
		case "":
		case "-":
			delete(out, k)
		default:
			out[k] = v
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func e164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func joinTypes(ts []app.EventType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
