package service

import (
	"fmt"
	"net"
	"strings"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
	"github.com/holdslayer/holdslayer/ari/aritest"
)

// Config is every setting of the service, read once in main from flags and HOLDSLAYER_*
// variables and passed down explicitly.
type Config struct {
	Listen         string
	DataDir        string
	DB             string
	APIToken       string
	ARIURL         string
	ARIUser        string
	ARIPassword    string
	ARIApp         string
	OpenAIAPIKey   string
	OpenAIBaseURL  string
	RecordingsDir  string
	DialTemplate   string
	MediaHost      string
	LogLevel       string
	LogFormat      string
	MaxCalls       int
	HomeCountry    string
	AllowIntl      bool
	Simulate       bool
	STTModel       string
	LLMModel       string
	LiveCheck      bool
	AgentGreeting  string
	MaxBodyBytes   int64
	ShutdownWaitMS int
}

// Options are what tests and embedders inject beside the configuration.
type Options struct {
	// Clock paces calls, media and the simulated Asterisk; nil means the wall clock. Tests pass
	// an accelerated clock so a two-minute hold takes seconds.
	Clock clock.Clock
	// Scenarios replace the demo companies of the simulated Asterisk, by number.
	Scenarios map[string]*aritest.Scenario
	// Devices replace the simulated user phones, by endpoint resource (PJSIP/<name>).
	Devices map[string]aritest.DeviceBehavior
	// Version is reported by MCP.
	Version string
	// Limits override the engine's limits; a zero MaxConcurrentCalls takes Config.MaxCalls.
	Limits app.Limits
	// STTBaseURL points speech-to-text at another OpenAI-compatible server than
	// Config.OpenAIBaseURL, e.g. the simulated Asterisk's recogniser in tests against a
	// separately running simulator.
	STTBaseURL string
	// Getenv tells whether a desktop session exists for desktop notifications; nil means none.
	Getenv func(string) string
}

// CheckListen refuses to serve beyond this machine without a token: a non-loopback address
// (or all interfaces) with an empty token is an error.
func CheckListen(listen, token string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", listen, err)
	}
	if token != "" || isLoopback(host) {
		return nil
	}
	shown := host
	if shown == "" {
		shown = "all interfaces"
	}
	return fmt.Errorf("refusing to listen on %s (%s) without an API token: set HOLDSLAYER_API_TOKEN "+
		"(or HOLDSLAYER_API_TOKEN_FILE), or listen on 127.0.0.1", listen, shown)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
