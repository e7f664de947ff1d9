package aritest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/holdslayer/holdslayer/app/audio"
)

// chan_websocket facts from traces i, i0 and i1 (Asterisk 22.10.1):
//   - externalMedia?transport=websocket&connection_type=server answers 200 with a channel
//     "WebSocket/INCOMING/0x…" in state Down and channelvars MEDIA_WEBSOCKET_CONNECTION_ID and
//     MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE; a Dial event (dialstring "INCOMING") follows.
//   - The app then dials ws://<ari host>/media/<connection id> (subprotocol "media"). Only then
//     come ChannelStateChange Up, Dial ANSWER, ChannelVarset STASISSTATUS and StasisStart, and
//     the first message on the media socket is the text
//     "MEDIA_START connection_id:… channel:… channel_id:… format:… optimal_frame_size:… ptime:20".
//   - Media is binary both ways, slin16 little-endian (unlike RTP's big-endian), one 20 ms frame
//     (640 bytes) per message from Asterisk. A message from the app of up to 4,096 bytes is
//     queued and played at 20 ms a frame; a larger one closes the socket with 1003 and hangs the
//     channel up with cause 38 (ChannelDestroyed cause 38 when it was bridged, 0 otherwise).
//   - A channel that was never bridged sends nothing.
const (
	// MediaMaxMessage is the largest binary message chan_websocket accepts from the app.
	MediaMaxMessage = 4096
	// mediaQueueMax bounds the audio queued from the app (Asterisk signals XOFF long before).
	mediaQueueMax = 60 * 8000
)

// wsMedia is the media WebSocket side of a chan_websocket (externalMedia websocket) channel.
type wsMedia struct {
	connID string
	format string
	frame  int // optimal frame size in bytes

	mu      sync.Mutex
	conn    *websocket.Conn // nil until the app connects
	inbuf   []int16         // 8 kHz samples from the app, not yet played
	partial []byte          // bytes of an incomplete sample
	out     chan wsMsg
	quit    chan struct{}
	once    sync.Once
}

type wsMsg struct {
	typ  int
	data []byte
}

func wsFrameSize(format string) (int, bool) {
	switch format {
	case "slin16":
		return 640, true
	case "slin":
		return 320, true
	case "ulaw", "alaw":
		return 160, true
	}
	return 0, false
}

// externalMediaWS creates a chan_websocket channel that waits for the app's media connection.
func (s *Server) externalMediaWS(w http.ResponseWriter, q *req) {
	app, format := q.get("app"), q.get("format")
	if app == "" {
		writeErr(w, http.StatusBadRequest, "app cannot be empty")
		return
	}
	if ct := q.get("connection_type"); ct != "server" {
		// client connections need a websocket_client.conf entry, which the simulation lacks
		writeErr(w, http.StatusBadRequest, "external_host is required for all but websocket server connections")
		return
	}
	if format == "" {
		writeErr(w, http.StatusBadRequest, "format cannot be empty")
		return
	}
	if enc := q.get("encapsulation"); enc != "" && enc != "none" {
		writeErr(w, http.StatusBadRequest, "Unsupported encapsulation")
		return
	}
	size, ok := wsFrameSize(format)
	if !ok {
		writeErr(w, http.StatusInternalServerError, "An internal error prevented this request from being handled")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := q.get("channelId")
	if id == "" {
		id = s.newID()
	} else if s.channels[id] != nil {
		writeErr(w, http.StatusConflict, "Channel with given unique ID already exists")
		return
	}
	wm := &wsMedia{connID: newUUID(), format: format, frame: size, out: make(chan wsMsg, 512), quit: make(chan struct{})}
	c := &channel{
		id: id, name: fmt.Sprintf("WebSocket/INCOMING/0x%012x", rand.Uint64()&0xffffffffffff), kind: kindWebSocket,
		state: "Down", created: s.now(), vars: map[string]string{}, apps: map[string]bool{app: true},
		dp:  dialplan{Context: "default", Exten: "s", Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"},
		wsm: wm,
	}
	chvars := map[string]string{"MEDIA_WEBSOCKET_CONNECTION_ID": wm.connID, "MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE": fmt.Sprint(size)}
	for k, v := range chvars {
		c.vars[k] = v
	}
	for k, v := range q.vars {
		c.vars[k] = v
	}
	c.vars["__app"] = app
	s.channels[c.id] = c
	s.mediaConns[wm.connID] = c
	resp := c.json()
	resp["channelvars"] = chvars
	writeJSON(w, http.StatusOK, resp)
	s.emitLocked("Dial", c.apps, map[string]any{"dialstatus": "", "dialstring": "INCOMING", "forward": "", "peer": c.json()})
}

var mediaUpgrader = websocket.Upgrader{
	CheckOrigin:  func(*http.Request) bool { return true },
	Subprotocols: []string{"media"},
	// the reader enforces MediaMaxMessage itself, to answer 1003 as Asterisk does
}

// handleMedia accepts the app's media connection at /media/{connection id}.
func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request) {
	connID := strings.TrimPrefix(r.URL.Path, "/media/")
	s.mu.Lock()
	c := s.mediaConns[connID]
	if c == nil || c.dead || c.wsm.connected() {
		s.mu.Unlock()
		writeErr(w, http.StatusNotFound, "Not found")
		return
	}
	s.mu.Unlock()
	conn, err := mediaUpgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Warn("aritest media websocket upgrade", "err", err)
		return
	}
	wm := c.wsm
	s.mu.Lock()
	if c.dead {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	wm.mu.Lock()
	wm.conn = conn
	wm.mu.Unlock()
	wm.push(websocket.TextMessage, []byte(fmt.Sprintf("MEDIA_START connection_id:%s channel:%s channel_id:%s format:%s optimal_frame_size:%d ptime:20",
		connID, c.name, c.id, wm.format, wm.frame)))
	s.wg.Add(2)
	go s.mediaWriter(wm)
	go s.mediaReader(c, wm)
	c.state = "Up"
	s.chanEvent("ChannelStateChange", c, nil)
	s.emitLocked("Dial", c.apps, map[string]any{"dialstatus": "ANSWER", "dialstring": "INCOMING", "forward": "", "peer": c.json()})
	app := c.vars["__app"]
	if s.appRegistered(app) {
		s.enterStasisLocked(c, app, nil)
	}
	s.mu.Unlock()
}

func (wm *wsMedia) connected() bool {
	wm.mu.Lock()
	defer wm.mu.Unlock()
	return wm.conn != nil
}

// push queues a message for the writer; a full queue drops it (a slow reader loses media).
func (wm *wsMedia) push(typ int, b []byte) {
	select {
	case wm.out <- wsMsg{typ: typ, data: b}:
	default:
	}
}

func (s *Server) mediaWriter(wm *wsMedia) {
	defer s.wg.Done()
	for {
		select {
		case m := <-wm.out:
			_ = wm.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if err := wm.conn.WriteMessage(m.typ, m.data); err != nil {
				wm.abort()
				return
			}
		case <-wm.quit:
			return
		case <-s.ctx.Done():
			wm.abort()
			return
		}
	}
}

func (s *Server) mediaReader(c *channel, wm *wsMedia) {
	defer s.wg.Done()
	for {
		typ, b, err := wm.conn.ReadMessage()
		if err != nil {
			// the app closed the media socket: the channel hangs up
			wm.abort()
			s.mu.Lock()
			if !c.dead {
				s.farHangupLocked(c, 16)
			}
			s.mu.Unlock()
			return
		}
		switch typ {
		case websocket.BinaryMessage:
			if len(b) > MediaMaxMessage {
				msg := websocket.FormatCloseMessage(websocket.CloseUnsupportedData, "")
				_ = wm.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
				wm.abort()
				s.mu.Lock()
				s.mediaOversizeLocked(c)
				s.mu.Unlock()
				return
			}
			wm.receive(b)
		case websocket.TextMessage:
			switch strings.TrimSpace(strings.SplitN(string(b), " ", 2)[0]) {
			case "HANGUP":
				s.mu.Lock()
				s.farHangupLocked(c, 16)
				s.mu.Unlock()
			case "FLUSH_MEDIA":
				wm.mu.Lock()
				wm.inbuf, wm.partial = nil, nil
				wm.mu.Unlock()
			}
			// ANSWER (the channel is already up) and other commands change nothing here
		}
	}
}

// mediaOversizeLocked is the channel's end after an oversized message (traces i, i0, i1):
// ChannelHangupRequest cause 38 (not soft), then the usual teardown, destroyed with cause 38 if
// the channel was bridged and cause 0 ("Unknown") if not.
func (s *Server) mediaOversizeLocked(c *channel) {
	if c.dead {
		return
	}
	bridged := c.bridge != nil
	s.chanEvent("ChannelHangupRequest", c, map[string]any{"cause": 38})
	s.leaveBridgeLocked(c)
	if c.stasisApp != "" {
		c.stasisApp = ""
		s.chanEvent("StasisEnd", c, nil)
		s.varset(c, "STASISSTATUS", "SUCCESS")
	}
	cause := 0
	if bridged {
		cause = 38
	}
	s.destroyLocked(c, cause)
}

// receive decodes one binary message from the app into 8 kHz samples.
func (wm *wsMedia) receive(b []byte) {
	wm.mu.Lock()
	defer wm.mu.Unlock()
	var smp []int16
	switch wm.format {
	case "ulaw":
		smp = audio.ULawDecode(b)
	case "alaw":
		smp = audio.ALawDecode(b)
	case "slin", "slin16":
		b = append(wm.partial, b...)
		n := len(b) / 2
		if wm.format == "slin16" {
			n = len(b) / 4 * 2 // whole pairs of 16 kHz samples
		}
		pcm := make([]int16, n)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
		wm.partial = append([]byte(nil), b[2*n:]...)
		if wm.format == "slin16" {
			smp = downsample2(pcm)
		} else {
			smp = pcm
		}
	}
	wm.inbuf = append(wm.inbuf, smp...)
	if len(wm.inbuf) > mediaQueueMax {
		wm.inbuf = wm.inbuf[len(wm.inbuf)-mediaQueueMax:]
	}
}

// read is the channel's next 20 ms frame: queued audio from the app, else the silence
// chan_websocket generates while the app sends nothing; nil before the app connects.
func (wm *wsMedia) read() []int16 {
	wm.mu.Lock()
	defer wm.mu.Unlock()
	if wm.conn == nil {
		return nil
	}
	f := silence()
	n := copy(f, wm.inbuf)
	wm.inbuf = wm.inbuf[n:]
	return f
}

// send writes one 20 ms frame to the app in the channel's format (slin little-endian).
func (wm *wsMedia) send(f []int16) {
	if f == nil || !wm.connected() {
		return
	}
	var b []byte
	switch wm.format {
	case "ulaw":
		b = audio.ULawEncode(f)
	case "alaw":
		b = audio.ALawEncode(f)
	case "slin16", "slin":
		pcm := f
		if wm.format == "slin16" {
			pcm = upsample2(f)
		}
		b = make([]byte, 2*len(pcm))
		for i, v := range pcm {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
		}
	}
	wm.push(websocket.BinaryMessage, b)
}

// abort drops the media connection without a close handshake.
func (wm *wsMedia) abort() {
	wm.once.Do(func() {
		close(wm.quit)
		wm.mu.Lock()
		conn := wm.conn
		wm.mu.Unlock()
		if conn != nil {
			_ = conn.Close()
		}
	})
}

// close ends the media connection normally (the channel was hung up).
func (wm *wsMedia) close() {
	wm.mu.Lock()
	conn := wm.conn
	wm.mu.Unlock()
	if conn != nil {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}
	wm.abort()
}

// downsample2 halves the sample rate (16 kHz -> 8 kHz), averaging pairs as a crude low-pass.
func downsample2(x []int16) []int16 {
	out := make([]int16, len(x)/2)
	for i := range out {
		out[i] = int16((int32(x[2*i]) + int32(x[2*i+1])) / 2)
	}
	return out
}
