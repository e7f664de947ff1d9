package api

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/holdslayer/holdslayer/app"
)

// wireTime is RFC 3339 with milliseconds in UTC, the event timestamp format of the API.
const wireTime = "2006-01-02T15:04:05.000Z07:00"

// wireEvent is an event exactly as clients receive it.
type wireEvent struct {
	Seq       int64          `json:"seq,omitempty"`
	Type      string         `json:"type"`
	CallID    string         `json:"call_id"`
	Timestamp string         `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

func toWire(ev app.Event) wireEvent {
	data := ev.Data
	if data == nil {
		data = map[string]any{}
	}
	return wireEvent{Seq: ev.Seq, Type: string(ev.Type), CallID: ev.CallID,
		Timestamp: ev.Timestamp.UTC().Format(wireTime), Data: data}
}

// replayPage bounds one store read while replaying since=.
const replayPage = 500

// sameOrigin lets browsers connect only from this service's own pages; non-browser clients
// send no Origin and are let through (the token still applies).
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

var upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096, CheckOrigin: sameOrigin}

// wsEvents is /ws/events: live events filtered by call_id and types, after an optional replay
// of stored events with seq > since. The subscription starts before the replay and duplicates
// are dropped by seq, so no event falls in the gap between the two.
func (s *server) wsEvents(c *gin.Context) error {
	types, err := parseTypes(c.Query("types"))
	if err != nil {
		return err
	}
	_, replay := c.GetQuery("since")
	since, err := parseSince(c.Query("since"))
	if err != nil {
		return err
	}
	filter := app.EventFilter{CallID: c.Query("call_id"), Types: types}

	sub := s.bus.Subscribe(filter, s.ws.Buffer)
	defer sub.Close()
	conn, err := upgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		// Upgrade has already answered the client with an HTTP error.
		s.log.Debug("websocket upgrade failed", "err", err)
		return nil
	}
	defer conn.Close()
	log := s.log.With("remote", c.Request.RemoteAddr, "call_id", filter.CallID)
	log.Debug("websocket client connected")

	// The reader goroutine handles pongs and close frames; it ends when the socket does.
	readerDone := make(chan struct{})
	pongWait := 2 * s.ws.PingInterval
	conn.SetReadLimit(4096)
	_ = conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	go func() {
		defer close(readerDone)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()

	write := func(ev app.Event) error {
		_ = conn.SetWriteDeadline(time.Now().Add(s.ws.WriteTimeout))
		return conn.WriteJSON(toWire(ev))
	}
	closeWith := func(code int, text string) {
		msg := websocket.FormatCloseMessage(code, text)
		_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}

	replayed := map[int64]bool{}
	if replay {
		ctx := c.Request.Context()
		after := since
		for {
			evs, err := s.store.ListEvents(ctx, filter.CallID, filter.Types, after, replayPage)
			if err != nil {
				log.Error("websocket replay", "err", err)
				closeWith(websocket.CloseInternalServerErr, "replay failed")
				return nil
			}
			for _, ev := range evs {
				if err := write(ev); err != nil {
					return nil
				}
				replayed[ev.Seq] = true
				after = ev.Seq
			}
			if len(evs) < replayPage {
				break
			}
		}
	}

	ping := time.NewTicker(s.ws.PingInterval)
	defer ping.Stop()
	for {
		select {
		case ev := <-sub.C():
			if ev.Seq > 0 && replayed[ev.Seq] {
				continue
			}
			if err := write(ev); err != nil {
				log.Debug("websocket write failed", "err", err)
				return nil
			}
		case <-sub.Done():
			log.Warn("websocket client too slow: dropped")
			closeWith(websocket.ClosePolicyViolation, "client too slow: events dropped")
			return nil
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.ws.WriteTimeout)); err != nil {
				return nil
			}
		case <-readerDone:
			log.Debug("websocket client left")
			return nil
		case <-s.done:
			closeWith(websocket.CloseGoingAway, "server shutting down")
			return nil
		}
	}
}
