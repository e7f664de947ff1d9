package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	twclient "github.com/twilio/twilio-go/client"
	twapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// DefaultTwilioBaseURL is Twilio's REST API host; Options.TwilioBaseURL overrides it for tests
// or a proxy.
const DefaultTwilioBaseURL = "https://api.twilio.com"

// smsSender sends through twilio-go's Messages API. twilio-go hard-codes its base URL (the
// ApiService field is unexported) and ignores request contexts, so the HTTP client we hand it
// carries a transport that points every request at baseURL and binds it to the delivery's ctx.
// We also build the request handler ourselves: twilio-go's constructors read TWILIO_* variables.
type smsSender struct {
	baseURL   *url.URL
	transport http.RoundTripper
}

func (s *smsSender) send(ctx context.Context, t Target, m Message, deliveryID string) error {
	sid := t.Config["account_sid"]
	hc := &http.Client{
		// No Client.Timeout: ctx carries the attempt's deadline. (With a Timeout, twilio-go's
		// habit of not closing error bodies would keep a timer goroutine alive until it fires.)
		Transport: &rebaseTransport{ctx: ctx, base: s.baseURL, next: s.transport},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	cl := &twclient.Client{Credentials: twclient.NewCredentials(sid, t.Secrets["auth_token"]), HTTPClient: hc}
	cl.SetAccountSid(sid)
	api := twapi.NewApiService(&twclient.RequestHandler{Client: cl})
	p := &twapi.CreateMessageParams{}
	p.SetPathAccountSid(sid)
	p.SetTo(t.Config["to"])
	if from := t.Config["from"]; from != "" {
		p.SetFrom(from)
	} else {
		p.SetMessagingServiceSid(t.Config["messaging_service_sid"])
	}
	p.SetBody(m.Short)
	if _, err := api.CreateMessage(p); err != nil {
		var re *twclient.TwilioRestError
		if errors.As(err, &re) && re.Status >= 400 && re.Status < 500 {
			return permanent(fmt.Errorf("twilio refused the message: %w", err))
		}
		if ctx.Err() != nil {
			return fmt.Errorf("twilio request: %w", ctx.Err())
		}
		return fmt.Errorf("twilio request: %w", err)
	}
	return nil
}

// rebaseTransport sends each request to base (scheme, host, path prefix) under ctx.
type rebaseTransport struct {
	ctx  context.Context
	base *url.URL
	next http.RoundTripper
}

func (r *rebaseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(r.ctx)
	if r.base != nil {
		out.URL.Scheme = r.base.Scheme
		out.URL.Host = r.base.Host
		out.URL.Path = strings.TrimSuffix(r.base.Path, "/") + req.URL.Path
		out.URL.RawPath = ""
		out.Host = r.base.Host
	}
	next := r.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(out)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	// Error answers: read them now and release the connection, since libraries that decode
	// the error do not always close the body.
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if rerr != nil {
		return nil, fmt.Errorf("read error response: %w", rerr)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	return resp, nil
}
