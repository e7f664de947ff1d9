package aritest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const badRequestHTML = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n<address>Asterisk/22.10.1</address>\r\n</body></html>\r\n"

// wsConn is one events WebSocket. Events are queued in order and written by one goroutine.
type wsConn struct {
	mu       sync.Mutex
	conn     *websocket.Conn
	apps     []string
	all      bool // subscribeAll
	out      chan []byte
	quit     chan struct{}
	once     sync.Once
	replaced map[string]bool // apps taken over by a newer socket (guarded by Server.mu)
}

func (ws *wsConn) abort() {
	ws.once.Do(func() {
		close(ws.quit)
		ws.mu.Lock()
		conn := ws.conn
		ws.mu.Unlock()
		if conn != nil {
			_ = conn.NetConn().Close() // no close frame: the client sees 1006
		}
	})
}

// flushAndAbort waits (up to d of real time) for queued events to be written, then drops the
// connection without a close frame.
func (ws *wsConn) flushAndAbort(d time.Duration) {
	deadline := time.Now().Add(d)
	for len(ws.out) > 0 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond)
	ws.abort()
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	appParam := r.URL.Query().Get("app")
	if appParam == "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(badRequestHTML))
		return
	}
	ws := &wsConn{
		apps:     strings.Split(appParam, ","),
		all:      r.URL.Query().Get("subscribeAll") == "true",
		out:      make(chan []byte, 4096),
		quit:     make(chan struct{}),
		replaced: map[string]bool{},
	}
	// the app is registered before the 101 goes out, so a REST call right after the dial
	// already sees it (as with Asterisk)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeErr(w, http.StatusServiceUnavailable, "Asterisk not booted")
		return
	}
	s.socks[ws] = true
	for _, app := range ws.apps {
		if old := s.apps[app]; old != nil && old != ws {
			old.replaced[app] = true
			old.send(s.eventBytes("ApplicationReplaced", app, nil))
		}
		s.apps[app] = ws
	}
	s.mu.Unlock()
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Warn("aritest websocket upgrade", "err", err)
		s.unregister(ws)
		return
	}
	ws.mu.Lock()
	ws.conn = conn
	ws.mu.Unlock()

	s.wg.Add(2)
	go s.wsWriter(ws)
	go s.wsReader(ws)
}

func (ws *wsConn) send(b []byte) {
	select {
	case ws.out <- b:
	default: // a client that does not read loses events, as with Asterisk's bounded queues
	}
}

func (s *Server) wsWriter(ws *wsConn) {
	defer s.wg.Done()
	for {
		select {
		case b := <-ws.out:
			_ = ws.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if err := ws.conn.WriteMessage(websocket.TextMessage, b); err != nil {
				ws.abort()
				return
			}
		case <-ws.quit:
			return
		case <-s.ctx.Done():
			ws.abort()
			return
		}
	}
}

func (s *Server) wsReader(ws *wsConn) {
	defer s.wg.Done()
	for {
		if _, _, err := ws.conn.ReadMessage(); err != nil {
			break
		}
	}
	ws.abort()
	s.unregister(ws)
	_ = ws.conn.Close()
}

func (s *Server) unregister(ws *wsConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.socks, ws)
	for _, app := range ws.apps {
		// closing the active socket unregisters the app even if an older one is still open
		if s.apps[app] == ws {
			delete(s.apps, app)
		}
	}
}

func (s *Server) eventBytes(typ, app string, fields map[string]any) []byte {
	m := map[string]any{
		"type":        typ,
		"application": app,
		"asterisk_id": asteriskID,
		"timestamp":   s.now().Format(tsLayout),
	}
	for k, v := range fields {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

// emitLocked sends an event to the sockets of the given applications (and to every
// subscribeAll socket). Callers hold s.mu, so events leave in the order they happen.
func (s *Server) emitLocked(typ string, apps map[string]bool, fields map[string]any) {
	sent := map[*wsConn]bool{}
	names := make([]string, 0, len(apps))
	for a := range apps {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, app := range names {
		ws := s.apps[app]
		if ws == nil || ws.replaced[app] {
			continue
		}
		ws.send(s.eventBytes(typ, app, fields))
		sent[ws] = true
	}
	for ws := range s.socks {
		if ws.all && !sent[ws] && len(ws.apps) > 0 && !ws.replaced[ws.apps[0]] && s.apps[ws.apps[0]] == ws {
			ws.send(s.eventBytes(typ, ws.apps[0], fields))
		}
	}
}

// chanEvent emits an event about channel c (with "channel": c) plus extra fields.
func (s *Server) chanEvent(typ string, c *channel, extra map[string]any) {
	f := map[string]any{"channel": c.json()}
	for k, v := range extra {
		f[k] = v
	}
	s.emitLocked(typ, c.apps, f)
}

func (s *Server) varset(c *channel, name, value string) {
	if c.vars == nil {
		c.vars = map[string]string{}
	}
	c.vars[name] = value
	s.chanEvent("ChannelVarset", c, map[string]any{"variable": name, "value": value})
}

func (s *Server) appRegistered(app string) bool {
	return s.apps[app] != nil
}
