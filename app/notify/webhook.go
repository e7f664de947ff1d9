package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// Webhook headers. The signature is "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body));
// the timestamp is Unix seconds, fresh on every attempt, so a receiver can refuse replays.
// The delivery id stays the same across retries of one notification, for de-duplication.
const (
	HeaderSignature = "X-HoldSlayer-Signature"
	HeaderTimestamp = "X-HoldSlayer-Timestamp"
	HeaderEvent     = "X-HoldSlayer-Event"
	HeaderDelivery  = "X-HoldSlayer-Delivery"
)

// WebhookPayload is the JSON body of a webhook: the event as the WebSocket carries it, plus
// the rule that matched and the rendered text.
type WebhookPayload struct {
	app.Event
	Rule  string `json:"rule"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

type webhookSender struct {
	client *http.Client
	now    func() time.Time // wall clock for the replay timestamp
}

func (s *webhookSender) send(ctx context.Context, t Target, m Message, deliveryID string) error {
	body, err := json.Marshal(WebhookPayload{Event: m.Event, Rule: m.Rule, Title: m.Title, Body: m.Body})
	if err != nil {
		return permanent(fmt.Errorf("encode webhook body: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Config["url"], bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("build webhook request: %w", err))
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "HoldSlayer-Notify/1")
	req.Header.Set(HeaderEvent, m.Rule)
	req.Header.Set(HeaderDelivery, deliveryID)
	req.Header.Set(HeaderTimestamp, ts)
	if secret := t.Secrets["secret"]; secret != "" {
		req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500:
		return fmt.Errorf("webhook answered %s", resp.Status)
	default:
		return permanent(fmt.Errorf("webhook answered %s", resp.Status))
	}
}

// Sign returns the signature header value for a webhook body sent at timestamp (Unix seconds).
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Errors of VerifySignature.
var (
	ErrBadSignature = errors.New("webhook signature does not match")
	ErrStale        = errors.New("webhook timestamp outside tolerance")
)

// VerifySignature checks a received webhook, for receivers written in Go and for our tests:
// the signature must match and the timestamp must be within tolerance of now.
func VerifySignature(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook timestamp %q: %w", ts, ErrStale)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook timestamp %s off by %s: %w", ts, d, ErrStale)
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(h.Get(HeaderSignature))) {
		return ErrBadSignature
	}
	return nil
}
