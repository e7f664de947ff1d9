package app

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DialPolicy decides which numbers the service may dial. It exists because a hold-slayer that
// dials whatever it is given can run up premium-rate or international charges for its user.
type DialPolicy struct {
	// HomeCountryCode is the country calling code numbers are "domestic" in, without "+";
	// empty means "1" (North America).
	HomeCountryCode string
	// AllowInternational lets numbers outside HomeCountryCode through.
	AllowInternational bool
	// Allowed, when non-empty, is a list of regular expressions; a number must match one.
	Allowed []string
	// Denied are extra regular expressions a number must not match.
	Denied []string
	// PremiumPrefixes are E.164 prefixes refused as premium-rate; nil means
	// DefaultPremiumPrefixes.
	PremiumPrefixes []string
}

// DefaultPremiumPrefixes are the North American premium-rate prefixes (900 and 976 services).
var DefaultPremiumPrefixes = []string{"+1900", "+1976"}

// Limits bound what the engine takes on, so one runaway call or client cannot hold the trunk.
type Limits struct {
	// MaxConcurrentCalls refuses new calls with ErrUnavailable once reached; zero means 10.
	MaxConcurrentCalls int
	// MaxCallDuration ends a call with reason "max_call_duration"; zero means 4 h.
	MaxCallDuration time.Duration
	// MaxHoldDuration ends a call that has waited on hold this long ("max_hold_duration");
	// zero means 3 h.
	MaxHoldDuration time.Duration
	// RingTimeout fails a company call that is not answered in time ("no_answer"); zero means 60 s.
	RingTimeout time.Duration
	// DeviceRingTimeout moves a transfer to the next device; zero means 30 s.
	DeviceRingTimeout time.Duration
}

// Default limit values, used for zero fields of Limits.
const (
	DefaultMaxConcurrentCalls = 10
	DefaultMaxCallDuration    = 4 * time.Hour
	DefaultMaxHoldDuration    = 3 * time.Hour
	DefaultRingTimeout        = 60 * time.Second
	DefaultDeviceRingTimeout  = 30 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxConcurrentCalls <= 0 {
		l.MaxConcurrentCalls = DefaultMaxConcurrentCalls
	}
	if l.MaxCallDuration <= 0 {
		l.MaxCallDuration = DefaultMaxCallDuration
	}
	if l.MaxHoldDuration <= 0 {
		l.MaxHoldDuration = DefaultMaxHoldDuration
	}
	if l.RingTimeout <= 0 {
		l.RingTimeout = DefaultRingTimeout
	}
	if l.DeviceRingTimeout <= 0 {
		l.DeviceRingTimeout = DefaultDeviceRingTimeout
	}
	return l
}

var (
	e164Re = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	dtmfRe = regexp.MustCompile(`^[0-9*#A-D]+$`)
)

// ValidateNumber checks that number is E.164 (+ and 7 to 15 digits).
func ValidateNumber(number string) error {
	if !e164Re.MatchString(number) {
		return fmt.Errorf("number must be E.164 such as +18005551234, got %q: %w", number, ErrInvalid)
	}
	return nil
}

// ValidateDTMF checks that digits are keypad digits (0-9, *, #, A-D).
func ValidateDTMF(digits string) error {
	if !dtmfRe.MatchString(digits) {
		return fmt.Errorf("dtmf digits must be 0-9, *, # or A-D, got %q: %w", digits, ErrInvalid)
	}
	return nil
}

// policy is a DialPolicy with its patterns compiled.
type policy struct {
	home     string
	intl     bool
	allowed  []*regexp.Regexp
	denied   []*regexp.Regexp
	premium  []string
	badError error // set when a pattern does not compile: every number is refused
}

// Validate reports whether every pattern of the policy compiles; main calls it at start-up.
func (p DialPolicy) Validate() error {
	_, err := p.compile()
	return err
}

func (p DialPolicy) compile() (*policy, error) {
	c := &policy{home: strings.TrimPrefix(p.HomeCountryCode, "+"), intl: p.AllowInternational, premium: p.PremiumPrefixes}
	if c.home == "" {
		c.home = "1"
	}
	if c.premium == nil {
		c.premium = DefaultPremiumPrefixes
	}
	for _, s := range p.Allowed {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("dial policy allowed pattern %q: %w", s, err)
		}
		c.allowed = append(c.allowed, re)
	}
	for _, s := range p.Denied {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("dial policy denied pattern %q: %w", s, err)
		}
		c.denied = append(c.denied, re)
	}
	return c, nil
}

// newPolicy compiles p; a broken policy refuses every number rather than allowing all.
func newPolicy(p DialPolicy) *policy {
	c, err := p.compile()
	if err != nil {
		return &policy{badError: err}
	}
	return c
}

// check returns nil when number may be dialled, or an error wrapping ErrForbidden that says why.
func (p *policy) check(number string) error {
	if p.badError != nil {
		return fmt.Errorf("dial policy is misconfigured (%v), refusing %s: %w", p.badError, number, ErrForbidden)
	}
	for _, pre := range p.premium {
		if strings.HasPrefix(number, pre) {
			return fmt.Errorf("premium-rate number refused: %s starts with %s: %w", number, pre, ErrForbidden)
		}
	}
	for _, re := range p.denied {
		if re.MatchString(number) {
			return fmt.Errorf("number refused by dial policy: %s matches denied pattern %s: %w", number, re, ErrForbidden)
		}
	}
	if !p.intl && !strings.HasPrefix(number, "+"+p.home) {
		return fmt.Errorf("international number refused: %s is outside country code +%s and international dialling is off: %w", number, p.home, ErrForbidden)
	}
	if len(p.allowed) > 0 {
		for _, re := range p.allowed {
			if re.MatchString(number) {
				return nil
			}
		}
		return fmt.Errorf("number refused by dial policy: %s matches no allowed pattern: %w", number, ErrForbidden)
	}
	return nil
}
