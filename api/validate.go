package api

import (
	"regexp"
	"strings"

	"github.com/holdslayer/holdslayer/app"
)

// e164 is a phone number in international form: "+", a non-zero country digit, 7 to 15 digits.
var e164 = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)

// validNumber returns a 400 naming the number unless it is E.164.
func validNumber(field, number string) error {
	if number == "" {
		return badRequest("field %q is required", field)
	}
	if !e164.MatchString(number) {
		return badRequest("invalid E.164 number %q in field %q: expected + then 7 to 15 digits, e.g. +18005551234", number, field)
	}
	return nil
}

// dtmfChars are the keys a phone can send, plus ',' for a pause between keys.
const dtmfChars = "0123456789*#ABCD,"

// validDTMF returns a 400 naming the first bad key unless digits is a non-empty run of DTMF keys.
func validDTMF(field, digits string) error {
	if digits == "" {
		return badRequest("field %q is required", field)
	}
	if len(digits) > 64 {
		return badRequest("field %q is too long: at most 64 keys", field)
	}
	for i, r := range digits {
		if !strings.ContainsRune(dtmfChars, r) {
			return badRequest("invalid DTMF character %q at position %d in field %q: allowed are 0-9 * # A-D and , (pause)", r, i, field)
		}
	}
	return nil
}

// validMode returns the mode, defaulting to hold_slayer, or a 400 naming the unknown mode.
func validMode(mode string) (app.Mode, error) {
	if mode == "" {
		return app.ModeHoldSlayer, nil
	}
	m := app.Mode(mode)
	if !m.Valid() {
		return "", badRequest("unknown mode %q: must be one of direct, hold_slayer, ai_assisted", mode)
	}
	return m, nil
}

// knownEventTypes are the types a client may filter on.
var knownEventTypes = map[app.EventType]bool{
	app.EventCallStarted: true, app.EventCallRinging: true, app.EventCallConnected: true,
	app.EventCallEnded: true, app.EventCallFailed: true, app.EventStatusChanged: true,
	app.EventHoldDetected: true, app.EventHumanDetected: true, app.EventHumanWithdrawn: true,
	app.EventTransferStarted: true, app.EventTransferComplete: true, app.EventTransferFailed: true,
	app.EventIVRStep: true, app.EventIVRDTMFSent: true, app.EventIVRMenuDetected: true,
	app.EventAudioClassified: true, app.EventTranscriptChunk: true, app.EventRecordingStarted: true,
	app.EventRecordingStopped: true, app.EventWaitEstimated: true, app.EventNotificationSent: true,
	app.EventNotificationFail: true, app.EventNavigatorDecision: true,
}

// parseTypes reads a comma-separated event type list, refusing unknown types.
func parseTypes(param string) ([]app.EventType, error) {
	if strings.TrimSpace(param) == "" {
		return nil, nil
	}
	var out []app.EventType
	for _, p := range strings.Split(param, ",") {
		t := app.EventType(strings.TrimSpace(p))
		if t == "" {
			continue
		}
		if !knownEventTypes[t] {
			return nil, badRequest("unknown event type %q in types", string(t))
		}
		out = append(out, t)
	}
	return out, nil
}

// knownStatuses are the call statuses a history filter may name.
var knownStatuses = []app.CallStatus{
	app.StatusTrying, app.StatusRinging, app.StatusConnected, app.StatusNavigating,
	app.StatusOnHold, app.StatusHumanDetected, app.StatusTransferring, app.StatusTransferred,
	app.StatusEnded, app.StatusFailed,
}

func validStatus(s string) (app.CallStatus, error) {
	for _, k := range knownStatuses {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, len(knownStatuses))
	for i, k := range knownStatuses {
		names[i] = string(k)
	}
	return "", badRequest("unknown status %q: must be one of %s", s, strings.Join(names, ", "))
}

// requireText returns a 400 when a required string field is empty or too long.
func requireText(field, v string, max int) error {
	if strings.TrimSpace(v) == "" {
		return badRequest("field %q is required", field)
	}
	return maxLen(field, v, max)
}

func maxLen(field, v string, max int) error {
	if len(v) > max {
		return badRequest("field %q is too long: at most %d characters", field, max)
	}
	return nil
}
