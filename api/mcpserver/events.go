package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/holdslayer/holdslayer/app"
)

// eventSource streams one call's events with seq > since into out: the stored ones first,
// then live ones, with nothing lost in between (subscribe first, then read the store). It
// returns when ctx ends or the stream cannot go on.
type eventSource interface {
	stream(ctx context.Context, callID string, since int64, out chan<- Event) error
}

// wireTime is the API's event timestamp format (RFC 3339, milliseconds, UTC).
const wireTime = "2006-01-02T15:04:05.000Z07:00"

func toEvent(ev app.Event) Event {
	data := ev.Data
	if data == nil {
		data = map[string]any{}
	}
	return Event{Seq: ev.Seq, Type: string(ev.Type), CallID: ev.CallID,
		Timestamp: ev.Timestamp.UTC().Format(wireTime), Data: normalize(data)}
}

// normalize round-trips data through JSON so in-process events look exactly like the wire's
// (numbers as float64, structs as maps).
func normalize(data map[string]any) map[string]any {
	b, err := json.Marshal(data)
	if err != nil {
		return data
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return data
	}
	return out
}

// busSource reads the in-process bus and store.
type busSource struct {
	bus   *app.Bus
	store app.Store
	log   *slog.Logger
}

// storePage bounds one store read while catching up.
const storePage = 500

func (s busSource) stream(ctx context.Context, callID string, since int64, out chan<- Event) error {
	last := since
	send := func(ev app.Event) bool {
		if ev.Seq > 0 && ev.Seq <= last {
			return true // already delivered from the store
		}
		if ev.Seq > 0 {
			last = ev.Seq
		}
		select {
		case out <- toEvent(ev):
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		sub := s.bus.Subscribe(app.EventFilter{CallID: callID}, 256)
		for {
			evs, err := s.store.ListEvents(ctx, callID, nil, last, storePage)
			if err != nil {
				sub.Close()
				return fmt.Errorf("list events of %s: %w", callID, err)
			}
			for _, ev := range evs {
				if !send(ev) {
					sub.Close()
					return ctx.Err()
				}
			}
			if len(evs) < storePage {
				break
			}
		}
		dropped := false
		for !dropped {
			select {
			case ev := <-sub.C():
				if !send(ev) {
					sub.Close()
					return ctx.Err()
				}
			case <-sub.Done():
				// We fell behind and the bus let go of us: catch up from the store again.
				s.log.Debug("mcp event subscription dropped, resubscribing", "call_id", callID)
				dropped = true
			case <-ctx.Done():
				sub.Close()
				return ctx.Err()
			}
		}
	}
}

// wsSource reads /ws/events of a running service; the server subscribes before it replays
// since=, and a broken connection is resumed from the last seq seen.
type wsSource struct {
	base  string // http(s)://host:port
	token string
	log   *slog.Logger
}

func (s wsSource) stream(ctx context.Context, callID string, since int64, out chan<- Event) error {
	u, err := url.Parse(s.base)
	if err != nil {
		return fmt.Errorf("parse service url %q: %w", s.base, err)
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/ws/events"
	last := since
	backoff := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		q := url.Values{"call_id": {callID}, "since": {strconv.FormatInt(last, 10)}}
		u.RawQuery = q.Encode()
		hdr := http.Header{}
		if s.token != "" {
			hdr.Set("Authorization", "Bearer "+s.token)
		}
		conn, resp, err := websocket.DefaultDialer.DialContext(ctx, u.String(), hdr)
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if resp != nil && resp.StatusCode >= 400 && resp.StatusCode < 500 {
				return &APIError{Status: resp.StatusCode, Detail: fmt.Sprintf("event stream refused: %s", resp.Status)}
			}
			if attempt >= 5 {
				return fmt.Errorf("connect to event stream: %w", err)
			}
			s.log.Debug("event stream connect failed, retrying", "call_id", callID, "err", err)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return ctx.Err()
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		attempt, backoff = 0, 250*time.Millisecond
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		for {
			var ev Event
			if err := conn.ReadJSON(&ev); err != nil {
				break
			}
			if ev.Seq > 0 && ev.Seq <= last {
				continue
			}
			if ev.Seq > 0 {
				last = ev.Seq
			}
			select {
			case out <- ev:
			case <-ctx.Done():
			}
		}
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Debug("event stream closed, reconnecting", "call_id", callID, "since", last)
	}
}
