package aritest

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// mediaWS is the app side of a chan_websocket media connection.
type mediaWS struct {
	conn   *websocket.Conn
	mu     sync.Mutex
	texts  []string
	bins   [][]byte
	at     []time.Time
	closed chan error
}

func (tg *target) dialMedia(t *testing.T, connID string) *mediaWS {
	t.Helper()
	u := strings.Replace(strings.TrimSuffix(tg.base, "/ari"), "http", "ws", 1) + "/media/" + connID
	d := websocket.Dialer{Subprotocols: []string{"media"}, HandshakeTimeout: 5 * time.Second}
	conn, res, err := d.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial media %s: %v", u, err)
	}
	if p := res.Header.Get("Sec-Websocket-Protocol"); p != "media" {
		t.Errorf("media subprotocol = %q", p)
	}
	m := &mediaWS{conn: conn, closed: make(chan error, 1)}
	go func() {
		for {
			typ, b, err := conn.ReadMessage()
			if err != nil {
				m.closed <- err
				return
			}
			m.mu.Lock()
			if typ == websocket.TextMessage {
				m.texts = append(m.texts, string(b))
			} else {
				m.bins = append(m.bins, b)
				m.at = append(m.at, time.Now())
			}
			m.mu.Unlock()
		}
	}()
	t.Cleanup(func() { _ = conn.Close() })
	return m
}

func (m *mediaWS) snapshot() (texts []string, bins [][]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.texts...), append([][]byte(nil), m.bins...)
}

// sendTone sends hz as slin16 little-endian, frames of 640 bytes every 20 ms (real time).
func (m *mediaWS) sendTone(t *testing.T, hz float64, frames int) {
	t.Helper()
	n := 0
	for i := 0; i < frames; i++ {
		b := make([]byte, 640)
		for j := 0; j < 320; j++ {
			binary.LittleEndian.PutUint16(b[2*j:], uint16(int16(8000*math.Sin(2*math.Pi*hz*float64(n)/16000))))
			n++
		}
		if err := m.conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
			t.Fatalf("send media: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func decodeLE(bins [][]byte) []int16 {
	var out []int16
	for _, b := range bins {
		for i := 0; i+1 < len(b); i += 2 {
			out = append(out, int16(binary.LittleEndian.Uint16(b[i:])))
		}
	}
	return out
}

// zcr is the zero-crossing rate: low for speech read with the right byte order, near 0.5 for
// the noise the wrong order gives.
func zcr(x []int16) float64 {
	if len(x) < 2 {
		return 0
	}
	n := 0
	for i := 1; i < len(x); i++ {
		if (x[i] >= 0) != (x[i-1] >= 0) {
			n++
		}
	}
	return float64(n) / float64(len(x)-1)
}

func waitClose(t *testing.T, m *mediaWS, d time.Duration) error {
	t.Helper()
	select {
	case err := <-m.closed:
		return err
	case <-time.After(d):
		t.Fatalf("media socket still open after %v", d)
		return nil
	}
}

// TestContractExternalMediaWebSocket follows trace i: the websocket channel waits Down until
// the app connects to /media/{id}; then StasisStart, MEDIA_START, 640-byte little-endian
// slin16 frames at 50/s from the bridge; audio sent in reaches the company (seen by a spy=out
// snoop); a 4,097-byte message closes the socket with 1003 and kills the channel (cause 38).
func TestContractExternalMediaWebSocket(t *testing.T) {
	tg := contractTarget(t, contractOpts())
	ev := tg.ws(t, "holdslayer")
	id := fmt.Sprintf("company-w-%d", time.Now().UnixNano()%100000)
	tg.do(t, "POST", "/channels", qv("endpoint", "Local/s@company-ivr", "app", "holdslayer", "appArgs", "company", "channelId", id, "otherChannelId", id+"-L2"), "")
	// on a real Asterisk a failed run must not leave channels in the app (they keep it registered)
	t.Cleanup(func() { tg.do(t, "DELETE", "/channels/"+id, nil, "") })
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", id))
	bid := tg.do(t, "POST", "/bridges", qv("type", "mixing", "name", "main-w"), "").obj(t)["id"].(string)
	t.Cleanup(func() { tg.do(t, "DELETE", "/bridges/"+bid, nil, "") })
	tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", id), "")

	r := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "transport", "websocket", "encapsulation", "none", "connection_type", "server", "format", "slin16"), "")
	if r.status != 200 {
		t.Fatalf("externalMedia websocket = %d %s", r.status, r.body)
	}
	ch := r.obj(t)
	delete(ch, "channelvars")
	assertFields(t, "websocket channel", ch, traceChannelFields)
	wsID, name := ch["id"].(string), ch["name"].(string)
	if !strings.HasPrefix(name, "WebSocket/INCOMING/0x") || ch["state"] != "Down" {
		t.Errorf("channel name/state = %s/%v", name, ch["state"])
	}
	vars := r.obj(t)["channelvars"].(map[string]any)
	connID, _ := vars["MEDIA_WEBSOCKET_CONNECTION_ID"].(string)
	if connID == "" || vars["MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE"] != "640" {
		t.Fatalf("channelvars = %v", vars)
	}
	if v := tg.do(t, "GET", "/channels/"+wsID+"/variable", qv("variable", "MEDIA_WEBSOCKET_CONNECTION_ID"), ""); v.status != 200 || v.obj(t)["value"] != connID {
		t.Errorf("MEDIA_WEBSOCKET_CONNECTION_ID = %d %s", v.status, v.body)
	}
	time.Sleep(150 * time.Millisecond)
	for _, typ := range ev.forChan(wsID) {
		if typ == "StasisStart" {
			t.Fatal("StasisStart before the media socket connected")
		}
	}
	if r := tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", wsID), ""); r.status != 422 {
		t.Errorf("addChannel before connect = %d, want 422", r.status)
	}

	// a spy=out snoop on the company leg shows what the company hears
	snoop := tg.do(t, "POST", "/channels/"+id+"/snoop", qv("app", "holdslayer", "spy", "out"), "").obj(t)
	sb := tg.do(t, "POST", "/bridges", qv("type", "mixing", "name", "snoop-out-w"), "").obj(t)["id"].(string)
	sink := newSink(t)
	sem := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "external_host", sink.addr(), "format", "ulaw"), "").obj(t)
	t.Cleanup(func() {
		tg.do(t, "DELETE", "/channels/"+sem["id"].(string), nil, "")
		tg.do(t, "DELETE", "/bridges/"+sb, nil, "")
	})
	// a real Asterisk answers 422 "Channel not in Stasis application" to an addChannel sent
	// before the new channel's StasisStart, which may come just after the POST's 200
	ev.waitFor(t, 5*time.Second, "snoop StasisStart", isEv("StasisStart", snoop["id"].(string)))
	ev.waitFor(t, 5*time.Second, "externalMedia StasisStart", isEv("StasisStart", sem["id"].(string)))
	if r := tg.do(t, "POST", "/bridges/"+sb+"/addChannel", qv("channel", snoop["id"].(string)+","+sem["id"].(string)), ""); r.status != 204 {
		t.Fatalf("addChannel snoop+externalMedia = %d %s", r.status, r.body)
	}

	m := tg.dialMedia(t, connID)
	ev.waitFor(t, 5*time.Second, "websocket StasisStart", isEv("StasisStart", wsID))
	assertOrder(t, "websocket channel events", ev.forChan(wsID), []string{"Dial", "ChannelStateChange", "Dial", "ChannelVarset", "StasisStart"})
	if r := tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", wsID), ""); r.status != 204 {
		t.Fatalf("addChannel websocket = %d", r.status)
	}
	texts, _ := m.snapshot()
	deadline := time.Now().Add(2 * time.Second)
	for len(texts) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		texts, _ = m.snapshot()
	}
	want := fmt.Sprintf("MEDIA_START connection_id:%s channel:%s channel_id:%s format:slin16 optimal_frame_size:640 ptime:20", connID, name, wsID)
	if len(texts) == 0 || texts[0] != want {
		t.Errorf("first text = %q, want %q", texts, want)
	}

	// the company's prompt arrives little-endian at 50 frames a second. A real Asterisk sends
	// nothing until the prompt starts (Answer() waits 500 ms for media, then Wait(1); with
	// transmit_silence off a simple bridge forwards no frames), about 1.5 s after the answer.
	_, bins := m.snapshot()
	for deadline := time.Now().Add(5 * time.Second); len(bins) < 60 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		_, bins = m.snapshot()
	}
	m.mu.Lock()
	at := append([]time.Time(nil), m.at...)
	m.mu.Unlock()
	if len(bins) < 40 {
		t.Fatalf("only %d binary messages", len(bins))
	}
	for i, b := range bins {
		if len(b) != 640 {
			t.Fatalf("message %d is %d bytes, want 640", i, len(b))
		}
	}
	if rate := float64(len(at)-1) / at[len(at)-1].Sub(at[0]).Seconds(); rate < 45 || rate > 56 {
		t.Errorf("media rate %.1f messages/s, want 50", rate)
	}
	le := decodeLE(bins)
	be := make([]int16, len(le))
	for i, v := range le {
		be[i] = int16(uint16(v)<<8 | uint16(v)>>8)
	}
	if rms(le) < 30 {
		t.Errorf("company audio rms %.0f: no prompt heard", rms(le))
	} else if zcr(le) >= zcr(be) {
		t.Errorf("zcr little-endian %.2f >= big-endian %.2f: payload is not little-endian", zcr(le), zcr(be))
	}

	// a 1 kHz tone sent in is what the company hears
	n0 := len(sink.snapshot())
	m.sendTone(t, 1000, 50)
	time.Sleep(200 * time.Millisecond)
	heard := samplesOf(sink.snapshot()[n0:])
	if e := toneEnergy(heard, 1000, 8000); e < 0.3 {
		t.Errorf("1 kHz energy %.2f at the company (spy=out)", e)
	}

	// 4,097 bytes: close 1003, hangup cause 38
	before := len(ev.forChan(wsID))
	if err := m.conn.WriteMessage(websocket.BinaryMessage, make([]byte, MediaMaxMessage+1)); err != nil {
		t.Fatal(err)
	}
	if err := waitClose(t, m, 3*time.Second); !websocket.IsCloseError(err, websocket.CloseUnsupportedData) {
		t.Errorf("media socket closed with %v, want 1003", err)
	}
	d := ev.waitFor(t, 3*time.Second, "destroyed", isEv("ChannelDestroyed", wsID))
	assertOrder(t, "oversize teardown", ev.forChan(wsID)[before:], []string{"ChannelHangupRequest", "ChannelVarset", "ChannelLeftBridge", "StasisEnd", "ChannelVarset", "ChannelDestroyed"})
	hr := ev.waitFor(t, time.Second, "hangup request", isEv("ChannelHangupRequest", wsID))
	if hr["cause"] != float64(38) || hr["soft"] != nil {
		t.Errorf("hangup request = cause %v soft %v", hr["cause"], hr["soft"])
	}
	if d["cause"] != float64(38) {
		t.Errorf("bridged websocket destroyed with cause %v, want 38", d["cause"])
	}
	if r := tg.do(t, "DELETE", "/channels/"+wsID, nil, ""); r.status != 404 {
		t.Errorf("DELETE after the kill = %d, want 404", r.status)
	}
	for _, c := range []string{sem["id"].(string), snoop["id"].(string), id} {
		tg.do(t, "DELETE", "/channels/"+c, nil, "")
	}
	tg.do(t, "DELETE", "/bridges/"+bid, nil, "")
	tg.do(t, "DELETE", "/bridges/"+sb, nil, "")
}

// TestContractMediaWebSocketMaxMessage follows trace i1 on unbridged channels: 4,096 bytes is
// accepted, one byte more closes the socket with 1003 and destroys the channel with cause 0;
// our DELETE ends the channel with cause 16 and closes the media socket; HANGUP on the media
// socket hangs the channel up.
func TestContractMediaWebSocketMaxMessage(t *testing.T) {
	tg := contractTarget(t, contractOpts())
	ev := tg.ws(t, "holdslayer")
	open := func() (string, *mediaWS) {
		t.Helper()
		r := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "transport", "websocket", "encapsulation", "none", "connection_type", "server", "format", "slin16"), "")
		if r.status != 200 {
			t.Fatalf("externalMedia = %d %s", r.status, r.body)
		}
		o := r.obj(t)
		id := o["id"].(string)
		m := tg.dialMedia(t, o["channelvars"].(map[string]any)["MEDIA_WEBSOCKET_CONNECTION_ID"].(string))
		ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", id))
		return id, m
	}

	id, m := open()
	if err := m.conn.WriteMessage(websocket.BinaryMessage, make([]byte, MediaMaxMessage)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-m.closed:
		t.Fatalf("4096-byte message closed the socket: %v", err)
	default:
	}
	if _, bins := m.snapshot(); len(bins) != 0 {
		t.Errorf("unbridged channel sent %d binary messages", len(bins))
	}
	before := len(ev.forChan(id))
	if r := tg.do(t, "DELETE", "/channels/"+id, nil, ""); r.status != 204 {
		t.Fatalf("DELETE = %d", r.status)
	}
	d := ev.waitFor(t, 3*time.Second, "destroyed", isEv("ChannelDestroyed", id))
	assertOrder(t, "our hangup", ev.forChan(id)[before:], []string{"ChannelHangupRequest", "StasisEnd", "ChannelVarset", "ChannelDestroyed"})
	if d["cause"] != float64(16) {
		t.Errorf("destroyed cause %v, want 16", d["cause"])
	}
	if err := waitClose(t, m, 3*time.Second); err == nil {
		t.Error("media socket closed without error")
	}

	id, m = open()
	before = len(ev.forChan(id))
	if err := m.conn.WriteMessage(websocket.BinaryMessage, make([]byte, MediaMaxMessage+1)); err != nil {
		t.Fatal(err)
	}
	if err := waitClose(t, m, 3*time.Second); !websocket.IsCloseError(err, websocket.CloseUnsupportedData) {
		t.Errorf("closed with %v, want 1003", err)
	}
	d = ev.waitFor(t, 3*time.Second, "destroyed", isEv("ChannelDestroyed", id))
	assertOrder(t, "oversize unbridged", ev.forChan(id)[before:], []string{"ChannelHangupRequest", "StasisEnd", "ChannelVarset", "ChannelDestroyed"})
	if d["cause"] != float64(0) || d["cause_txt"] != "Unknown" {
		t.Errorf("unbridged oversize destroyed = %v %v, want 0 Unknown", d["cause"], d["cause_txt"])
	}

	id, m = open()
	if err := m.conn.WriteMessage(websocket.TextMessage, []byte("HANGUP")); err != nil {
		t.Fatal(err)
	}
	ev.waitFor(t, 3*time.Second, "destroyed after HANGUP", isEv("ChannelDestroyed", id))
	waitClose(t, m, 3*time.Second)
}
