package speech

import (
	"errors"
	"fmt"
)

// Sentinel errors, so the engine can pick a policy without parsing messages.
var (
	// ErrSTTUnavailable: the transcription service cannot be used right now (down, timing out,
	// rate-limited past the retries, refusing our key). The engine keeps detecting hold from
	// audio alone and stops sending utterances until Healthy reports true again.
	ErrSTTUnavailable = errors.New("speech-to-text unavailable")
	// ErrTTSUnavailable: no voice can be produced (espeak-ng missing, speech API failing).
	ErrTTSUnavailable = errors.New("text-to-speech unavailable")
	// ErrBadAudio: the caller passed audio the package cannot use (rate, empty input).
	ErrBadAudio = errors.New("bad audio")
	// ErrRejected: the service refused this request for what it contains (HTTP 400, 413,
	// 422); retrying the same input will not help, but the service itself may be fine.
	ErrRejected = errors.New("request rejected")
)

// ServiceError describes a failed exchange with a speech service: which one, the last HTTP
// status (0 when there was no response), how many attempts were made and the last cause.
type ServiceError struct {
	Service  string // "stt" or "tts"
	Status   int
	Attempts int
	Err      error
}

// Error says what failed in one line.
func (e *ServiceError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: status %d after %d attempt(s): %v", e.Service, e.Status, e.Attempts, e.Err)
	}
	return fmt.Sprintf("%s: %d attempt(s): %v", e.Service, e.Attempts, e.Err)
}

// Unwrap exposes the cause for errors.Is/As.
func (e *ServiceError) Unwrap() error { return e.Err }
