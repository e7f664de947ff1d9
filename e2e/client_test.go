package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// client drives the service like a user would: REST over HTTP and the event WebSocket.
type client struct {
	base string
	http *http.Client
	tr   *http.Transport
	ws   []*eventStream
}

func newClient(t *testing.T, base string) *client {
	tr := &http.Transport{}
	return &client{base: base, tr: tr, http: &http.Client{Transport: tr, Timeout: 20 * time.Second}}
}

// close ends the client's streams and idle connections (no goroutine outlives the test).
func (c *client) close() {
	for _, s := range c.ws {
		s.close()
	}
	c.ws = nil
	c.tr.CloseIdleConnections()
}

// do sends a request and returns the status, the body and the response headers.
func (c *client) do(t *testing.T, method, path string, body any, hdr map[string]string) (int, []byte, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return res.StatusCode, b, res.Header
}

// json sends a request, checks the status and decodes the JSON answer.
func (c *client) json(t *testing.T, method, path string, body any, want int) map[string]any {
	t.Helper()
	code, b, _ := c.do(t, method, path, body, nil)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, b)
	}
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return m
}

// waitReady polls /readyz until it answers 200.
func (c *client) waitReady(t *testing.T, within time.Duration) {
	t.Helper()
	c.waitReadyz(t, http.StatusOK, within)
}

// waitReadyz polls /readyz until it answers code.
func (c *client) waitReadyz(t *testing.T, code int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := 0
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, c.base+"/readyz", nil)
		if res, err := c.http.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			last = res.StatusCode
			if last == code {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("/readyz never answered %d within %s (last %d)", code, within, last)
}

// device registers a user phone by its Asterisk endpoint.
func (c *client) device(t *testing.T, name, endpoint string, priority int) string {
	t.Helper()
	m := c.json(t, http.MethodPost, "/api/devices", map[string]any{
		"name": name, "type": "sip_phone", "sip_uri": "sip:" + path.Base(endpoint) + "@example.invalid",
		"endpoint": endpoint, "priority": priority, "capabilities": []string{"voice"},
	}, http.StatusCreated)
	return m["id"].(string)
}

// menuFlow stores the way through the test companies' menu: wait for the greeting, listen to
// the menu, press 0, wait on hold, transfer.
func (c *client) menuFlow(t *testing.T, number string) string {
	t.Helper()
	one, twenty := 1.0, 20.0
	m := c.json(t, http.MethodPost, "/api/call-flows", map[string]any{
		"name": "Representative at " + number, "company": "Test company", "phone_number": number,
		"steps": []map[string]any{
			{"id": "wait", "type": "WAIT", "description": "Wait for the greeting", "timeout": one, "next_step": "menu"},
			{"id": "menu", "type": "LISTEN", "description": "Main menu", "timeout": twenty, "next_step": "press0"},
			{"id": "press0", "type": "DTMF", "description": "Representative", "dtmf": "0", "next_step": "hold"},
			{"id": "hold", "type": "HOLD", "description": "Wait for an agent", "next_step": "transfer"},
			{"id": "transfer", "type": "TRANSFER", "description": "Connect the user"},
		},
	}, http.StatusCreated)
	return m["id"].(string)
}

// call fetches GET /api/calls/{id}.
func (c *client) call(t *testing.T, id string) map[string]any {
	t.Helper()
	return c.json(t, http.MethodGet, "/api/calls/"+id, nil, http.StatusOK)
}

// waitStatus polls the call until its status is one of want; it fails on a terminal status
// that is not wanted.
func (c *client) waitStatus(t *testing.T, id string, within time.Duration, want ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	var m map[string]any
	for time.Now().Before(deadline) {
		m = c.call(t, id)
		st, _ := m["status"].(string)
		for _, w := range want {
			if st == w {
				return m
			}
		}
		if st == "ended" || st == "failed" {
			t.Fatalf("call %s is %s (%v) while waiting for %v", id, st, m["end_reason"], want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("call %s never reached %v within %s: %v", id, want, within, m)
	return nil
}

// event is one WebSocket message, as the seed defines it.
type event struct {
	Seq       int64          `json:"seq"`
	Type      string         `json:"type"`
	CallID    string         `json:"call_id"`
	Timestamp string         `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// eventStream is a real WebSocket client on /ws/events collecting every event it receives.
type eventStream struct {
	conn *websocket.Conn
	mu   sync.Mutex
	evs  []event
	more chan struct{} // signalled on each event
	done chan struct{} // closed when the reader stops
	err  error
}

// events opens ws://.../ws/events with the given query (e.g. "call_id=...&since=0").
func (c *client) events(t *testing.T, query string) *eventStream {
	t.Helper()
	u := "ws" + strings.TrimPrefix(c.base, "http") + "/ws/events"
	if query != "" {
		u += "?" + query
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, res, err := d.DialContext(context.Background(), u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	res.Body.Close()
	s := &eventStream{conn: conn, more: make(chan struct{}, 1), done: make(chan struct{})}
	go s.read()
	c.ws = append(c.ws, s)
	return s
}

func (s *eventStream) read() {
	defer close(s.done)
	for {
		var ev event
		if err := s.conn.ReadJSON(&ev); err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		s.evs = append(s.evs, ev)
		s.mu.Unlock()
		select {
		case s.more <- struct{}{}:
		default:
		}
	}
}

func (s *eventStream) close() {
	_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	select {
	case <-s.done:
	case <-time.After(2 * time.Second):
	}
	_ = s.conn.Close()
	<-s.done
}

// of returns the events received so far for call id (all calls if id is "").
func (s *eventStream) of(id string) []event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []event
	for _, e := range s.evs {
		if id == "" || e.CallID == id {
			out = append(out, e)
		}
	}
	return out
}

// wait blocks until an event of type typ for call id arrived and returns it.
func (s *eventStream) wait(t *testing.T, id, typ string, within time.Duration) event {
	t.Helper()
	deadline := time.After(within)
	for {
		// One snapshot for both checks: an event arriving between them must not read as the
		// call ending before the awaited event.
		got := s.of(id)
		for _, e := range got {
			if e.Type == typ {
				return e
			}
		}
		for _, e := range got {
			if id != "" && (e.Type == "call_ended" || e.Type == "call_failed") {
				t.Fatalf("call %s ended (%v) while waiting for %s; got %s", id, e.Data, typ, types(got))
			}
		}
		select {
		case <-s.more:
		case <-s.done:
			t.Fatalf("event stream closed (%v) while waiting for %s; got %s", s.err, typ, types(s.of(id)))
		case <-deadline:
			t.Fatalf("no %s event for %s within %s; got %s", typ, id, within, types(s.of(id)))
		}
	}
}

// types lists event types for messages.
func types(evs []event) string {
	var b strings.Builder
	for i, e := range evs {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(e.Type)
		if e.Type == "status_changed" {
			fmt.Fprintf(&b, "(%v)", e.Data["status"])
		}
	}
	return b.String()
}

// inOrder checks that want appears as a subsequence of the events' types.
func inOrder(t *testing.T, evs []event, want ...string) {
	t.Helper()
	i := 0
	for _, e := range evs {
		if i < len(want) && e.Type == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("events out of order or missing %q onwards:\n want %v\n got  %s", want[i], want, types(evs))
	}
}
