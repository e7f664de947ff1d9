package notify

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Email TLS modes (config.tls).
const (
	TLSStartTLS      = "starttls"      // STARTTLS required (default, port 587)
	TLSOpportunistic = "opportunistic" // STARTTLS when offered, plain otherwise
	TLSImplicit      = "tls"           // TLS from the first byte (port 465)
	TLSNone          = "none"          // plain SMTP, e.g. a local relay (port 25)
)

type emailSender struct {
	tlsConfig *tls.Config // base TLS settings (e.g. extra roots); ServerName is set per target
	timeout   time.Duration
}

func (s *emailSender) send(ctx context.Context, t Target, m Message, deliveryID string) error {
	c := t.Config
	mode := c["tls"]
	if mode == "" {
		mode = TLSStartTLS
	}
	port := 0
	if p := c["port"]; p != "" {
		port, _ = strconv.Atoi(p)
	}
	opts := []mail.Option{mail.WithTimeout(s.timeout)}
	switch mode {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
		port = cmp.Or(port, 465)
	case TLSOpportunistic:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
		port = cmp.Or(port, 587)
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		port = cmp.Or(port, 25)
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
		port = cmp.Or(port, 587)
	}
	opts = append(opts, mail.WithPort(port))
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.tlsConfig != nil {
		tc = s.tlsConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = c["host"]
	}
	opts = append(opts, mail.WithTLSConfig(tc))
	if user := c["username"]; user != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(user), mail.WithPassword(t.Secrets["password"]))
	}
	client, err := mail.NewClient(c["host"], opts...)
	if err != nil {
		return permanent(fmt.Errorf("smtp client for %s: %w", c["host"], err))
	}
	msg := mail.NewMsg()
	if err := msg.From(c["from"]); err != nil {
		return permanent(fmt.Errorf("email from: %w", err))
	}
	if err := msg.To(splitList(c["to"])...); err != nil {
		return permanent(fmt.Errorf("email to: %w", err))
	}
	msg.Subject(m.Title)
	msg.SetMessageIDWithValue(deliveryID + "@holdslayer")
	msg.SetDate()
	msg.SetGenHeader(mail.HeaderXMailer, "Hold Slayer")
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if smtpPermanent(err) {
			return permanent(fmt.Errorf("send email via %s:%d: %w", c["host"], port, err))
		}
		return fmt.Errorf("send email via %s:%d: %w", c["host"], port, err)
	}
	return nil
}

// smtpPermanent reports a 5xx reply (bad address, refused sender, failed auth): retrying
// the same message cannot succeed.
func smtpPermanent(err error) bool {
	var se *mail.SendError
	if errors.As(err, &se) {
		return !se.IsTemp() && se.ErrorCode() >= 500
	}
	s := err.Error()
	return strings.Contains(s, "535 ") || strings.Contains(s, "authentication failed")
}
