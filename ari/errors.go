package ari

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/CyCoreSystems/ari/v5/client/native"

	"github.com/holdslayer/holdslayer/app"
)

// ErrUnauthorized means Asterisk refused the ARI credentials (401): retrying will not help.
var ErrUnauthorized = errors.New("ari: authentication refused")

// Hangup reasons the adapter reports in app.PBXEvent.Reason, derived from Q.850 causes.
const (
	ReasonNormal          = "normal"
	ReasonBusy            = "busy"
	ReasonNoAnswer        = "no_answer"
	ReasonRejected        = "rejected"
	ReasonCongestion      = "congestion"
	ReasonInvalidNumber   = "invalid_number"
	ReasonUnavailable     = "unavailable"
	ReasonFailed          = "failed"
	ReasonUnknown         = "unknown"
	ReasonAsteriskRestart = "asterisk_restart"
)

// softHangupShutdown is the soft-hangup flag Asterisk sets on every channel when it shuts down
// or restarts (AST_SOFTHANGUP_SHUTDOWN); with soft:true the cause field carries these flags.
const softHangupShutdown = 0x04

// ClassifyCause maps a Q.850 hangup cause to the short reason the engine reports, so that a
// failed call can say "busy" or "no_answer" rather than a number.
func ClassifyCause(cause int) string {
	switch cause {
	case 16, 31:
		return ReasonNormal
	case 17:
		return ReasonBusy
	case 18, 19:
		return ReasonNoAnswer
	case 21, 22:
		return ReasonRejected
	case 34, 38, 41, 42, 44, 47:
		return ReasonCongestion
	case 1, 3, 28:
		return ReasonInvalidNumber
	case 20, 27:
		return ReasonUnavailable
	case 0:
		return ReasonUnknown
	default:
		return ReasonFailed
	}
}

// HangupError is a channel that ended, with its Q.850 cause; it classifies itself so callers
// can tell a busy company from a network failure with errors.As.
type HangupError struct {
	ChannelID string
	Cause     int
	Reason    string
}

// Error describes the hangup.
func (e *HangupError) Error() string {
	return fmt.Sprintf("channel %s hung up: %s (cause %d)", e.ChannelID, e.Reason, e.Cause)
}

// Retryable reports whether dialling again later may succeed (busy, congestion, no answer).
func (e *HangupError) Retryable() bool {
	switch e.Reason {
	case ReasonBusy, ReasonCongestion, ReasonNoAnswer, ReasonUnavailable, ReasonAsteriskRestart:
		return true
	}
	return false
}

// RequestError is an ARI REST call that Asterisk answered with a non-2xx status, or that could
// not reach Asterisk at all (Status 0). It maps itself onto the app's sentinel errors.
type RequestError struct {
	Op     string
	Status int
	Err    error
}

// Error names the operation and the status.
func (e *RequestError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("ari %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("ari %s: status %d: %v", e.Op, e.Status, e.Err)
}

// Unwrap exposes the library error.
func (e *RequestError) Unwrap() error { return e.Err }

// Is maps ARI statuses onto the app's sentinels: 404 not found, 409/422 conflict (e.g. a
// channel not in Stasis), 400 invalid, 401 unauthorized, 503 or no connection unavailable.
func (e *RequestError) Is(target error) bool {
	switch target {
	case app.ErrNotFound:
		return e.Status == 404
	case app.ErrConflict:
		return e.Status == 409 || e.Status == 422
	case app.ErrInvalid:
		return e.Status == 400
	case ErrUnauthorized:
		return e.Status == 401 || e.Status == 403
	case app.ErrUnavailable:
		return e.Status == 503 || e.Status == 0
	}
	return false
}

// statusOf digs the HTTP status out of a library error. The library wraps with eris and its own
// errDataGet (which has Cause but no Unwrap), so both chains are followed.
func statusOf(err error) int {
	for i := 0; err != nil && i < 16; i++ {
		if re, ok := err.(native.RequestError); ok {
			return re.Code()
		}
		if u := errors.Unwrap(err); u != nil {
			err = u
			continue
		}
		if c, ok := err.(interface{ Cause() error }); ok && c.Cause() != err {
			err = c.Cause()
			continue
		}
		break
	}
	return 0
}

// isConnRefused reports a REST call that found nobody listening (Asterisk restarting).
func isConnRefused(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial")
}
