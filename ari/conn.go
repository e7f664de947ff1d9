package ari

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	ariv5 "github.com/CyCoreSystems/ari/v5"
	"github.com/gorilla/websocket"

	"github.com/holdslayer/holdslayer/app"
)

// The library's own event loop (native.Client.Connect) blocks until the first connection, retries
// every second forever without backoff, never reports a disconnect or reconnect, reads its
// connected flag without synchronisation, never pings (Asterisk never pings either), and keeps
// reading a socket that ApplicationReplaced made silent. So the adapter owns the events socket:
// gorilla/websocket, decoded with ari.DecodeEvent, and REST stays with the library.

// eventsConn is one events WebSocket and the goroutine reading it.
type eventsConn struct {
	ws     *websocket.Conn
	events chan ariv5.Event // closed when the socket ends, after err is set
	dead   chan struct{}    // closed when the reader stops
	stop   chan struct{}    // closed by close
	err    error
	once   sync.Once
}

func (c *eventsConn) close() {
	c.once.Do(func() {
		close(c.stop)
		_ = c.ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = c.ws.Close()
	})
}

// dial opens an events socket for the app. 401 is ErrUnauthorized, 400 ErrInvalid.
func (a *Adapter) dial(ctx context.Context) (*eventsConn, error) {
	u, err := url.Parse(a.opts.WebsocketURL)
	if err != nil {
		return nil, fmt.Errorf("parse websocket url: %w", err)
	}
	q := u.Query()
	q.Set("app", a.opts.App)
	q.Set("subscribeAll", "false")
	u.RawQuery = q.Encode()
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(a.opts.User+":"+a.opts.Password)))
	d := websocket.Dialer{HandshakeTimeout: a.opts.RequestTimeout}
	dctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	ws, resp, err := d.DialContext(dctx, u.String(), h)
	if resp != nil && resp.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			switch resp.StatusCode {
			case http.StatusUnauthorized, http.StatusForbidden:
				return nil, fmt.Errorf("dial events: %w", ErrUnauthorized)
			case http.StatusBadRequest:
				return nil, fmt.Errorf("dial events: status 400: %w", app.ErrInvalid)
			}
			return nil, fmt.Errorf("dial events: status %d: %w", resp.StatusCode, app.ErrUnavailable)
		}
		return nil, fmt.Errorf("dial events: %w", err)
	}
	c := &eventsConn{ws: ws, events: make(chan ariv5.Event, 256), dead: make(chan struct{}), stop: make(chan struct{})}
	deadline := 2*a.opts.PingInterval + a.opts.RequestTimeout
	_ = ws.SetReadDeadline(time.Now().Add(deadline))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(deadline)) })
	a.wg.Add(2)
	go func() { // reader
		defer a.wg.Done()
		defer close(c.events)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				c.err = err
				close(c.dead)
				return
			}
			_ = ws.SetReadDeadline(time.Now().Add(deadline))
			ev, err := ariv5.DecodeEvent(data)
			if err != nil {
				a.log.Debug("undecodable ari event", "err", err)
				continue
			}
			select {
			case c.events <- ev:
			case <-c.stop:
				c.err = errors.New("events socket closed")
				close(c.dead)
				return
			}
		}
	}()
	go func() { // keepalive: Asterisk sends no pings, so we do, and a dead peer ends the read
		defer a.wg.Done()
		t := time.NewTicker(a.opts.PingInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if err := ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(a.opts.RequestTimeout)); err != nil {
					return
				}
			case <-c.stop:
				return
			case <-c.dead:
				return
			}
		}
	}()
	return c, nil
}

// run owns the events connection: it dispatches events, notices a lost or replaced socket,
// reconnects with backoff (connecting the new socket before closing the old one), and reconciles
// sessions after every reconnect.
func (a *Adapter) run(conn *eventsConn) {
	defer a.wg.Done()
	backoff := 100 * time.Millisecond
	wasDown := false
	for {
		if conn == nil {
			if err := a.sleep(backoff); err != nil {
				return
			}
			backoff = min(backoff*2, a.opts.MaxBackoff)
			c, err := a.dial(a.ctx)
			if err != nil {
				if a.ctx.Err() != nil {
					return
				}
				a.log.Debug("ari reconnect failed", "err", err, "next_in", backoff)
				continue
			}
			conn = c
		}
		backoff = 100 * time.Millisecond
		a.ready.Store(true)
		if wasDown {
			a.log.Info("ari events reconnected")
			a.reconcile()
			wasDown = false
		} else {
			a.log.Info("ari events connected")
		}
		replaced := a.pump(conn)
		if a.ctx.Err() != nil {
			conn.close()
			return
		}
		a.ready.Store(false)
		wasDown = true
		a.notifyAll(app.PBXEvent{Kind: app.PBXDisconnected, At: a.clk.Now()})
		if replaced {
			// Another client took the app over. Take it back: the new socket registers the app
			// before the old one closes, so the app is never unregistered in between.
			a.log.Warn("ari application replaced by another client; re-registering")
			if err := a.sleep(a.opts.MaxBackoff); err != nil {
				conn.close()
				return
			}
			nc, err := a.dial(a.ctx)
			conn.close()
			conn = nc
			if err != nil {
				conn = nil
			}
			continue
		}
		conn.close()
		conn = nil
	}
}

// pump dispatches events until the socket fails (false) or the app was replaced (true).
func (a *Adapter) pump(c *eventsConn) (replaced bool) {
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				a.log.Warn("ari events socket lost", "err", c.err)
				return false
			}
			if _, ok := ev.(*ariv5.ApplicationReplaced); ok {
				return true
			}
			a.dispatch(ev)
		case <-a.ctx.Done():
			return false
		}
	}
}

func (a *Adapter) sleep(d time.Duration) error {
	t := a.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-a.ctx.Done():
		return a.ctx.Err()
	}
}

func (a *Adapter) notifyAll(ev app.PBXEvent) {
	for _, s := range a.allSessions() {
		s.enqueue(ev)
	}
}

// reconcile asks Asterisk which of each session's resources survived the outage; channels that
// are gone are reported as hung up with reason asterisk_restart, then PBXReconnected follows.
func (a *Adapter) reconcile() {
	for _, s := range a.allSessions() {
		s.reconcile(a.ctx)
	}
}
