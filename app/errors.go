package app

import "errors"

// Sentinel errors the API maps to statuses; wrap them with %w and a detail that names the thing.
var (
	// ErrNotFound: the call, flow, device or recording does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request contradicts the current state, e.g. hanging up an ended call (409).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request itself is malformed or fails validation (400).
	ErrInvalid = errors.New("invalid request")
	// ErrForbidden: the dial policy refuses the number (403).
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable: no telephony backend is connected, or a limit is reached (503).
	ErrUnavailable = errors.New("unavailable")
)
