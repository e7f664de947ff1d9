package aritest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/holdslayer/holdslayer/app/audio"
)

// extMedia is the UDP/RTP side of an externalMedia (UnicastRTP) channel.
type extMedia struct {
	conn   *net.UDPConn
	remote *net.UDPAddr
	format string // slin16, ulaw, alaw, slin, ...
	ssrc   uint32
	seq    uint16
	ts     uint32

	mu      sync.Mutex
	inbuf   []int16 // 8 kHz samples received from the service, not yet played into the bridge
	closed  bool
	started bool
	rng     *rand.Rand
}

func formatInfo(f string) (pt uint8, ok bool) {
	switch f {
	case "slin16":
		return 118, true
	case "ulaw":
		return 0, true
	case "alaw":
		return 8, true
	case "slin":
		return 11, true
	case "g722":
		return 9, true
	case "opus":
		return 107, true
	}
	return 0, false
}

func (s *Server) externalMedia(w http.ResponseWriter, q *req) {
	app, host, format := q.get("app"), q.get("external_host"), q.get("format")
	transport := q.get("transport")
	if transport == "websocket" {
		s.externalMediaWS(w, q)
		return
	}
	if app == "" {
		writeErr(w, http.StatusBadRequest, "app cannot be empty")
		return
	}
	if host == "" {
		writeErr(w, http.StatusBadRequest, "external_host is required for all but websocket server connections")
		return
	}
	if format == "" {
		writeErr(w, http.StatusBadRequest, "format cannot be empty")
		return
	}
	raddr, err := net.ResolveUDPAddr("udp", host)
	if err != nil || raddr.Port == 0 {
		writeErr(w, http.StatusBadRequest, "external_host must be <host>:<port> for all transports other than websocket")
		return
	}
	if enc := q.get("encapsulation"); enc != "" && enc != "rtp" {
		writeErr(w, http.StatusBadRequest, "Unsupported encapsulation")
		return
	}
	if _, ok := formatInfo(format); !ok {
		writeErr(w, http.StatusInternalServerError, "An internal error prevented this request from being handled")
		return
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "An internal error prevented this request from being handled")
		return
	}
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	em := &extMedia{conn: conn, remote: raddr, format: format, ssrc: rng.Uint32(), seq: uint16(rng.Uint32()), rng: rng}
	local := conn.LocalAddr().(*net.UDPAddr)

	s.mu.Lock()
	defer s.mu.Unlock()
	id := q.get("channelId")
	if id == "" {
		id = s.newID()
	} else if s.channels[id] != nil {
		_ = conn.Close()
		writeErr(w, http.StatusConflict, "Channel with given unique ID already exists")
		return
	}
	c := &channel{
		id: id, name: fmt.Sprintf("UnicastRTP/%s-0x%012x", host, rng.Uint64()&0xffffffffffff), kind: kindUnicast,
		state: "Down", created: s.now(), vars: map[string]string{}, apps: map[string]bool{app: true},
		dp:  dialplan{Context: "default", Exten: "s", Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"},
		ext: em,
	}
	c.vars["UNICASTRTP_LOCAL_ADDRESS"] = local.IP.String()
	c.vars["UNICASTRTP_LOCAL_PORT"] = strconv.Itoa(local.Port)
	for k, v := range q.vars {
		c.vars[k] = v
	}
	s.channels[c.id] = c
	resp := c.json()
	resp["channelvars"] = map[string]string{"UNICASTRTP_LOCAL_ADDRESS": local.IP.String(), "UNICASTRTP_LOCAL_PORT": strconv.Itoa(local.Port)}
	dialstring := host + "/c(" + format + ")"
	s.emitLocked("Dial", c.apps, map[string]any{"dialstatus": "", "dialstring": dialstring, "forward": "", "peer": c.json()})
	c.state = "Up"
	s.chanEvent("ChannelStateChange", c, nil)
	s.emitLocked("Dial", c.apps, map[string]any{"dialstatus": "ANSWER", "dialstring": dialstring, "forward": "", "peer": c.json()})
	s.enterStasisLocked(c, app, nil)
	c.dp = dialplan{Context: "default", Exten: "s", Priority: 1, AppName: "Stasis", AppData: app}
	writeJSON(w, http.StatusOK, resp)
	s.wg.Add(1)
	go s.rtpReader(em)
}

// rtpReader takes RTP from the service into the channel: only static payload types
// (0 ulaw, 8 alaw, 9 g722, 11 L16/8k) are accepted; 118 and other dynamic types are dropped.
func (s *Server) rtpReader(em *extMedia) {
	defer s.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, _, err := em.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil {
			continue
		}
		var samples []int16
		switch p.PayloadType {
		case 0:
			samples = audio.ULawDecode(p.Payload)
		case 8:
			samples = audio.ALawDecode(p.Payload)
		case 11:
			samples = make([]int16, len(p.Payload)/2)
			for i := range samples {
				samples[i] = int16(binary.BigEndian.Uint16(p.Payload[2*i:]))
			}
		case 9:
			samples = make([]int16, len(p.Payload)) // G.722 is accepted but not decoded: silence
		default:
			continue
		}
		em.mu.Lock()
		em.inbuf = append(em.inbuf, samples...)
		if max := 8000; len(em.inbuf) > max { // keep at most one second queued
			em.inbuf = em.inbuf[len(em.inbuf)-max:]
		}
		em.mu.Unlock()
	}
}

// read pops one 20 ms frame of what the service sent, nil when nothing arrived.
func (em *extMedia) read() []int16 {
	em.mu.Lock()
	defer em.mu.Unlock()
	if len(em.inbuf) < frameSamples {
		return nil
	}
	f := append([]int16(nil), em.inbuf[:frameSamples]...)
	em.inbuf = em.inbuf[frameSamples:]
	return f
}

// send writes one 20 ms frame as RTP in the channel's format (timestamps count every frame,
// even frames not sent, as Asterisk's do).
func (em *extMedia) send(f []int16, faults Faults) {
	em.mu.Lock()
	defer em.mu.Unlock()
	pt, _ := formatInfo(em.format)
	step := uint32(frameSamples)
	if em.format == "slin16" {
		step = 2 * frameSamples
	}
	if f == nil && !em.started {
		return // the timestamp clock starts with the first packet (first timestamp = one frame)
	}
	em.started = true
	em.ts += step
	if f == nil || em.closed {
		return
	}
	var payload []byte
	switch em.format {
	case "slin16":
		up := upsample2(f)
		payload = make([]byte, 2*len(up))
		for i, v := range up {
			binary.BigEndian.PutUint16(payload[2*i:], uint16(v))
		}
	case "ulaw":
		payload = audio.ULawEncode(f)
	case "alaw":
		payload = audio.ALawEncode(f)
	case "slin":
		payload = make([]byte, 2*len(f))
		for i, v := range f {
			binary.BigEndian.PutUint16(payload[2*i:], uint16(v))
		}
	default:
		return // opus/g722: the simulation does not encode them
	}
	em.seq++
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: em.seq, Timestamp: em.ts, SSRC: em.ssrc}, Payload: payload}
	b, err := p.Marshal()
	if err != nil {
		return
	}
	if faults.PacketLoss > 0 && em.rng.Float64() < faults.PacketLoss {
		return
	}
	if faults.Jitter > 0 {
		d := time.Duration(em.rng.Int64N(int64(faults.Jitter)))
		conn, remote := em.conn, em.remote
		time.AfterFunc(d, func() { _, _ = conn.WriteToUDP(b, remote) })
		return
	}
	_, _ = em.conn.WriteToUDP(b, em.remote)
}

func (em *extMedia) close() {
	em.mu.Lock()
	em.closed = true
	em.mu.Unlock()
	_ = em.conn.Close()
}

// upsample2 doubles the sample rate by linear interpolation (8 kHz -> 16 kHz).
func upsample2(f []int16) []int16 {
	out := make([]int16, 2*len(f))
	for i, v := range f {
		next := v
		if i+1 < len(f) {
			next = f[i+1]
		}
		out[2*i] = v
		out[2*i+1] = int16((int32(v) + int32(next)) / 2)
	}
	return out
}
