package notify

import (
	"errors"
	"math/rand/v2"
	"strings"
	"time"
)

// RetryPolicy says how often and how patiently a delivery is retried after a transient
// failure (network error, 5xx, SMTP 4xx). Permanent failures (4xx, bad settings) stop at once.
type RetryPolicy struct {
	Attempts int           // total attempts, including the first
	Initial  time.Duration // wait before the second attempt; doubles each time
	Max      time.Duration // cap on one wait
}

// DefaultRetry is four attempts over about seven seconds.
var DefaultRetry = RetryPolicy{Attempts: 4, Initial: time.Second, Max: 30 * time.Second}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultRetry.Attempts
	}
	if p.Initial <= 0 {
		p.Initial = DefaultRetry.Initial
	}
	if p.Max < p.Initial {
		p.Max = max(DefaultRetry.Max, p.Initial)
	}
	return p
}

// backoff is the wait after the n-th failed attempt (n from 1): Initial * 2^(n-1), capped,
// with up to 10% jitter so many targets do not retry in lockstep.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.Initial
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// errSkipped means the target cannot be served on this machine (e.g. no desktop session):
// recorded as skipped, not failed, and never retried.
var errSkipped = errors.New("skipped")

// scrub removes every secret value of t from msg, for errors that end up in logs, records
// and events (a library error may quote a URL or a credential).
func scrub(msg string, t Target) string {
	for _, v := range t.Secrets {
		if len(v) < 4 {
			continue
		}
		msg = strings.ReplaceAll(msg, v, "[redacted]")
		// URL secrets: also hide their user-info and path pieces, which libraries quote alone.
		for _, part := range secretParts(v) {
			msg = strings.ReplaceAll(msg, part, "[redacted]")
		}
	}
	return msg
}
