package ari

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	ariv5 "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"

	"github.com/holdslayer/holdslayer/app"
)

func TestClassifyCause(t *testing.T) {
	tests := []struct {
		cause     int
		reason    string
		retryable bool
	}{
		{16, ReasonNormal, false},
		{31, ReasonNormal, false},
		{17, ReasonBusy, true},
		{18, ReasonNoAnswer, true},
		{19, ReasonNoAnswer, true},
		{21, ReasonRejected, false},
		{34, ReasonCongestion, true},
		{38, ReasonCongestion, true},
		{41, ReasonCongestion, true},
		{42, ReasonCongestion, true},
		{1, ReasonInvalidNumber, false},
		{3, ReasonInvalidNumber, false},
		{28, ReasonInvalidNumber, false},
		{27, ReasonUnavailable, true},
		{0, ReasonUnknown, false},
		{127, ReasonFailed, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.cause), func(t *testing.T) {
			got := ClassifyCause(tc.cause)
			if got != tc.reason {
				t.Fatalf("ClassifyCause(%d) = %q, want %q", tc.cause, got, tc.reason)
			}
			err := fmt.Errorf("dial company: %w", &HangupError{ChannelID: "c1", Cause: tc.cause, Reason: got})
			var he *HangupError
			if !errors.As(err, &he) || he.Retryable() != tc.retryable {
				t.Errorf("retryable = %v, want %v", he.Retryable(), tc.retryable)
			}
		})
	}
}

func TestRequestErrorIs(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{404, app.ErrNotFound},
		{409, app.ErrConflict},
		{422, app.ErrConflict},
		{400, app.ErrInvalid},
		{401, ErrUnauthorized},
		{503, app.ErrUnavailable},
		{0, app.ErrUnavailable},
	}
	all := []error{app.ErrNotFound, app.ErrConflict, app.ErrInvalid, ErrUnauthorized, app.ErrUnavailable}
	for _, tc := range tests {
		err := fmt.Errorf("wrapped: %w", &RequestError{Op: "x", Status: tc.status, Err: errors.New("boom")})
		for _, s := range all {
			if got := errors.Is(err, s); got != (s == tc.want) {
				t.Errorf("status %d: errors.Is(%v) = %v", tc.status, s, got)
			}
		}
	}
}

// TestStatusOfLibraryErrors checks that statuses survive the library's own wrapping (eris and
// errDataGet) for the answers in the g-errors trace.
func TestStatusOfLibraryErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/ari/channels/gone":
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"message":"Channel not found"}`))
		case "/ari/channels/nsl/answer":
			w.WriteHeader(409)
			_, _ = w.Write([]byte(`{"message":"Channel not in Stasis application"}`))
		default:
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`{"message":"Allocation failed"}`))
		}
	}))
	defer srv.Close()
	c := native.New(&native.Options{Application: "t", URL: srv.URL + "/ari", WebsocketURL: "ws://x/ari/events",
		WebsocketOrigin: "http://x/", Username: "u", Password: "p"})
	_, err := c.Channel().Data(ariv5.NewKey(ariv5.ChannelKey, "gone"))
	if got := statusOf(err); got != 404 {
		t.Errorf("data of gone channel: status %d (%v)", got, err)
	}
	err = c.Channel().Answer(ariv5.NewKey(ariv5.ChannelKey, "nsl"))
	if got := statusOf(err); got != 409 {
		t.Errorf("answer outside stasis: status %d (%v)", got, err)
	}
	_, err = c.Channel().Originate(nil, ariv5.OriginateRequest{Endpoint: "Bogus/x", App: "t"})
	if got := statusOf(err); got != 500 {
		t.Errorf("originate bogus: status %d (%v)", got, err)
	}
}
