// Package notify reaches the user where they are while Hold Slayer waits for them: it listens
// to the event bus, matches events against per-target rules (human_detected by default, call
// failures and ends, transfer failures, a hold longer than N minutes, an estimated wait) and
// delivers them by email, SMS (Twilio), signed webhook, desktop notification, shoutrrr push/chat
// URLs, or a mark for the dashboard's browser notification.
//
// Delivery is asynchronous: the bus never waits for a target, a failing target is retried with
// backoff and recorded, and every outcome is published back on the bus as notification_sent or
// notification_failed. Secrets (SMTP password, Twilio token, webhook secret, shoutrrr URL) are
// write-only: they never appear in the API view, in JSON, or in logs.
package notify
