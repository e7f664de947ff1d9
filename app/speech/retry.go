package speech

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
)

// Retry defaults for the HTTP speech services.
const (
	DefaultTimeout    = 20 * time.Second
	DefaultRetries    = 2
	DefaultBackoff    = 250 * time.Millisecond
	DefaultMaxBackoff = 4 * time.Second
	// DefaultCooldown is how long a service reported unavailable is skipped before it is
	// tried again, so a dead server does not cost every utterance a full timeout.
	DefaultCooldown = 30 * time.Second
)

// retryPolicy runs one request with a per-attempt timeout and retries transient failures
// (429, 5xx, timeouts, connection errors) with exponential backoff and jitter, honouring a
// Retry-After header up to the maximum backoff.
type retryPolicy struct {
	service    string
	timeout    time.Duration
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
}

// do calls fn until it succeeds, fails permanently or the attempts run out. The error is a
// *ServiceError; transient exhaustion also wraps unavailable.
func (p retryPolicy) do(ctx context.Context, unavailable error, fn func(ctx context.Context) error) (attempts int, err error) {
	var last error
	status := 0
	for attempt := 0; attempt <= p.retries; attempt++ {
		attempts = attempt + 1
		actx, cancel := context.WithTimeout(ctx, p.timeout)
		err := fn(actx)
		cancel()
		if err == nil {
			return attempts, nil
		}
		last = err
		if ctx.Err() != nil { // the caller gave up: not the service's fault
			return attempts, &ServiceError{Service: p.service, Attempts: attempts, Err: errors.Join(ctx.Err(), err)}
		}
		retryable, st, after := classify(err)
		status = st
		if !retryable {
			se := &ServiceError{Service: p.service, Status: st, Attempts: attempts, Err: err}
			if st == http.StatusBadRequest || st == http.StatusRequestEntityTooLarge || st == http.StatusUnprocessableEntity {
				return attempts, errors.Join(ErrRejected, se)
			}
			// 401, 403, 404: misconfiguration; nothing will work until it is fixed.
			return attempts, errors.Join(unavailable, se)
		}
		if attempt == p.retries {
			break
		}
		wait := p.backoff << attempt
		wait += time.Duration(rand.Int64N(int64(wait)/4 + 1))
		if after > wait {
			wait = after
		}
		wait = min(wait, p.maxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return attempts, &ServiceError{Service: p.service, Status: status, Attempts: attempts, Err: errors.Join(ctx.Err(), last)}
		}
	}
	return attempts, errors.Join(unavailable, &ServiceError{Service: p.service, Status: status, Attempts: attempts, Err: last})
}

// classify says whether an attempt's error is worth retrying, with its HTTP status and any
// Retry-After delay.
func classify(err error) (retryable bool, status int, after time.Duration) {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		status = apiErr.StatusCode
		if apiErr.Response != nil {
			if s, e := strconv.Atoi(apiErr.Response.Header.Get("Retry-After")); e == nil && s >= 0 {
				after = time.Duration(s) * time.Second
			}
		}
		return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500, status, after
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.status == http.StatusTooManyRequests || se.status >= 500, se.status, 0
	}
	// Timeouts, refused connections, resets, truncated bodies: transient.
	return true, 0, 0
}

// statusError is an HTTP failure seen outside the SDK's typed errors.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return "status " + strconv.Itoa(e.status) + ": " + e.body }

// health tracks whether a service is usable, with a cooldown after it was found unavailable.
type health struct {
	cooldown time.Duration
	now      func() time.Time
	mu       sync.Mutex
	down     bool
	since    time.Time
	lastErr  error
	failures int
}

func newHealth(cooldown time.Duration, now func() time.Time) *health {
	return &health{cooldown: cooldown, now: now}
}

// skip reports whether the service is down and still in its cooldown.
func (h *health) skip() (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down && h.now().Sub(h.since) < h.cooldown {
		return true, h.lastErr
	}
	return false, nil
}

func (h *health) record(err error, unavailable error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.down, h.failures, h.lastErr = false, 0, nil
	case errors.Is(err, unavailable):
		h.failures++
		h.lastErr = err
		h.down = true
		h.since = h.now()
	}
}

// Health is a snapshot of a service's state for /readyz, logs and the engine's degraded mode.
type Health struct {
	Healthy             bool
	Since               time.Time // when it went down (zero while healthy)
	ConsecutiveFailures int
	LastError           error
}

func (h *health) snapshot() Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return Health{Healthy: true}
	}
	return Health{Since: h.since, ConsecutiveFailures: h.failures, LastError: h.lastErr}
}
