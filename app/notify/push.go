package notify

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"strings"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"
)

// pushSender delivers through a shoutrrr service URL (ntfy://, gotify://, pushover://,
// slack://, telegram://, generic://, ...). The URL usually embeds a token, so it is a secret.
// shoutrrr's own logger is discarded: it prints service URLs.
type pushSender struct {
	transport http.RoundTripper
}

var discardLogger = log.New(io.Discard, "", 0)

// httpClientSetter is implemented by shoutrrr services that accept a custom HTTP client
// (ntfy among them); through it the request follows the delivery's ctx.
type httpClientSetter interface{ SetHTTPClient(*http.Client) }

func checkShoutrrrURL(raw string) error {
	r, err := router.New(discardLogger)
	if err != nil {
		return fmt.Errorf("shoutrrr router: %w", err)
	}
	if _, err := r.Locate(raw); err != nil {
		return fmt.Errorf("not a usable shoutrrr URL (scheme %q)", scheme(raw))
	}
	return nil
}

func scheme(raw string) string {
	s, _, _ := strings.Cut(raw, "://")
	if len(s) > 32 {
		s = s[:32]
	}
	return s
}

func (s *pushSender) send(ctx context.Context, t Target, m Message, deliveryID string) error {
	r, err := router.New(discardLogger)
	if err != nil {
		return permanent(fmt.Errorf("shoutrrr router: %w", err))
	}
	svc, err := r.Locate(t.Secrets["url"])
	if err != nil {
		return permanent(fmt.Errorf("shoutrrr service %q: %w", scheme(t.Secrets["url"]), err))
	}
	if hs, ok := svc.(httpClientSetter); ok {
		hs.SetHTTPClient(&http.Client{
			Transport: &rebaseTransport{ctx: ctx, next: s.transport}, // ctx holds the deadline
		})
	}
	params := types.Params{"title": m.Title}
	done := make(chan error, 1) // buffered: a service that ignores ctx finishes on its own
	go func() { done <- svc.Send(m.Body, &params) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("shoutrrr %s: %w", svc.GetID(), err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shoutrrr %s: %w", svc.GetID(), ctx.Err())
	}
}

// secretParts splits a URL-shaped secret into the pieces a library might quote on their own
// (user, password, long path segments, query values), for scrub.
func secretParts(v string) []string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return nil
	}
	var out []string
	keep := func(s string) {
		if len(s) >= 6 {
			out = append(out, s)
		}
	}
	if u.User != nil {
		keep(u.User.Username())
		if p, ok := u.User.Password(); ok {
			keep(p)
		}
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		keep(seg)
	}
	for _, vs := range u.Query() {
		for _, q := range vs {
			keep(q)
		}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		keep(u.Host) // e.g. telegram://<token>@telegram or slack://<token>: hosts can be tokens
	}
	return out
}
