package aritest

import (
	"encoding/binary"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/app/clock"
)

// rtpSink is the service side of an externalMedia stream.
type rtpSink struct {
	conn *net.UDPConn
	mu   sync.Mutex
	pkts []rtp.Packet
	src  map[string]int
	at   []time.Time
}

func newSink(t *testing.T) *rtpSink {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	k := &rtpSink{conn: conn, src: map[string]int{}}
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			var p rtp.Packet
			if p.Unmarshal(append([]byte(nil), buf[:n]...)) == nil {
				k.mu.Lock()
				k.pkts = append(k.pkts, p)
				k.src[from.String()]++
				k.at = append(k.at, time.Now())
				k.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { _ = conn.Close() })
	return k
}

func (k *rtpSink) addr() string { return k.conn.LocalAddr().String() }

func (k *rtpSink) snapshot() []rtp.Packet {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]rtp.Packet(nil), k.pkts...)
}

// samples decodes the received payloads to linear PCM.
func samplesOf(pkts []rtp.Packet) []int16 {
	var out []int16
	for _, p := range pkts {
		switch p.PayloadType {
		case 0:
			out = append(out, audio.ULawDecode(p.Payload)...)
		case 118, 11:
			for i := 0; i+1 < len(p.Payload); i += 2 {
				out = append(out, int16(binary.BigEndian.Uint16(p.Payload[i:])))
			}
		}
	}
	return out
}

// toneEnergy is the relative power at hz (Goertzel) over the whole signal: ~1 for a pure tone.
func toneEnergy(x []int16, hz float64, rate int) float64 {
	if len(x) == 0 {
		return 0
	}
	w := 2 * math.Pi * hz / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2, total float64
	for _, v := range x {
		f := float64(v)
		s0 := f + coeff*s1 - s2
		s2, s1 = s1, s0
		total += f * f
	}
	p := s1*s1 + s2*s2 - coeff*s1*s2
	if total == 0 {
		return 0
	}
	return 2 * p / (float64(len(x)) * total)
}

func sendTone(t *testing.T, to string, pt uint8, hz float64, frames int, c clock.Clock) {
	t.Helper()
	conn, err := net.Dial("udp", to)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tk := c.NewTicker(20 * time.Millisecond)
	defer tk.Stop()
	var n int
	for i := 0; i < frames; i++ {
		f := make([]int16, 160)
		for j := range f {
			f[j] = int16(8000 * math.Sin(2*math.Pi*hz*float64(n)/8000))
			n++
		}
		var payload []byte
		switch pt {
		case 0:
			payload = audio.ULawEncode(f)
		case 118:
			up := upsample2(f)
			payload = make([]byte, 2*len(up))
			for j, v := range up {
				binary.BigEndian.PutUint16(payload[2*j:], uint16(v))
			}
		}
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: uint16(i), Timestamp: uint32(i * 160), SSRC: 42}, Payload: payload}
		b, _ := p.Marshal()
		_, _ = conn.Write(b)
		<-tk.C()
	}
}

// TestMediaExternalMediaPackets checks the RTP facts of trace b: 50 packets per clock second,
// 640-byte PT 118 (slin16) or 160-byte PT 0 (ulaw), timestamps +320/+160, one SSRC, no
// marker, source port = UNICASTRTP_LOCAL_PORT, and no packets before the channel is bridged.
func TestMediaExternalMediaPackets(t *testing.T) {
	clk := clock.NewScaled(5)
	tone := &Scenario{Steps: []Step{{Play: []Audio{{Tone: "1000"}, {Tone: "1000"}, {Tone: "1000"}, {Tone: "1000"}, {Tone: "1000"}, {Tone: "1000"}}}}}
	for _, tc := range []struct {
		format string
		pt     uint8
		size   int
		step   uint32
	}{{"slin16", 118, 640, 320}, {"ulaw", 0, 160, 160}} {
		t.Run(tc.format, func(t *testing.T) {
			s := newSim(t, Options{Clock: clk, Scenarios: map[string]*Scenario{"5551000": tone}})
			tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
			ev := tg.ws(t, "holdslayer")
			tg.do(t, "POST", "/channels", qv("endpoint", "PJSIP/5551000@trunk", "app", "holdslayer", "channelId", "co"), "")
			ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", "co"))
			bid := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
			tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", "co"), "")
			sink := newSink(t)
			r := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "external_host", sink.addr(), "format", tc.format), "")
			if r.status != 200 {
				t.Fatalf("externalMedia = %d %s", r.status, r.body)
			}
			em := r.obj(t)
			vars := em["channelvars"].(map[string]any)
			emID := em["id"].(string)
			ev.waitFor(t, time.Second, "em StasisStart", isEv("StasisStart", emID))
			_ = clock.Sleep(t.Context(), clk, 300*time.Millisecond)
			if n := len(sink.snapshot()); n != 0 {
				t.Errorf("%d packets before bridging", n)
			}
			tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", emID), "")
			t0 := clk.Now()
			_ = clock.Sleep(t.Context(), clk, 3*time.Second)
			pkts := sink.snapshot()
			elapsed := clk.Now().Sub(t0).Seconds()
			rate := float64(len(pkts)) / elapsed
			if rate < 45 || rate > 52 {
				t.Errorf("packet rate %.1f/s of clock time, want 50", rate)
			}
			port := vars["UNICASTRTP_LOCAL_PORT"].(string)
			sink.mu.Lock()
			for from := range sink.src {
				if _, p, _ := net.SplitHostPort(from); p != port {
					t.Errorf("source %s, want port %s", from, port)
				}
			}
			sink.mu.Unlock()
			if len(pkts) < 10 {
				t.Fatalf("only %d packets", len(pkts))
			}
			if pkts[0].Timestamp != tc.step {
				t.Errorf("first timestamp %d, want %d", pkts[0].Timestamp, tc.step)
			}
			for i, p := range pkts {
				if p.PayloadType != tc.pt || len(p.Payload) != tc.size || p.SSRC != pkts[0].SSRC || p.Marker {
					t.Fatalf("packet %d: pt %d len %d ssrc %x marker %v", i, p.PayloadType, len(p.Payload), p.SSRC, p.Marker)
				}
				if i > 0 && (p.Timestamp-pkts[i-1].Timestamp != tc.step || p.SequenceNumber != pkts[i-1].SequenceNumber+1) {
					t.Fatalf("packet %d: ts delta %d seq %d->%d", i, p.Timestamp-pkts[i-1].Timestamp, pkts[i-1].SequenceNumber, p.SequenceNumber)
				}
			}
			if e := toneEnergy(samplesOf(pkts), 1000, map[string]int{"slin16": 16000, "ulaw": 8000}[tc.format]); e < 0.5 {
				t.Errorf("1 kHz energy %.2f in the company's audio", e)
			}
		})
	}
}

// TestMediaInjectSnoopSilence: audio the service sends (ulaw) reaches the device on the other
// side of the bridge; PT 118 is dropped; a snoop spy=in on the device's channel carries only
// what the device sends, never our tone; a two-party bridge sends nothing in silence while the
// snoop always sends.
func TestMediaInjectSnoopSilence(t *testing.T) {
	clk := clock.NewScaled(4)
	s := newSim(t, Options{Clock: clk, Devices: map[string]DeviceBehavior{"robert": {}}})
	tg := &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
	ev := tg.ws(t, "holdslayer")
	tg.do(t, "POST", "/channels", qv("endpoint", "PJSIP/robert", "app", "holdslayer", "channelId", "dev"), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", "dev"))
	bid := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
	direct := newSink(t)
	em := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "external_host", direct.addr(), "format", "ulaw"), "").obj(t)
	emID := em["id"].(string)
	vars := em["channelvars"].(map[string]any)
	local := vars["UNICASTRTP_LOCAL_ADDRESS"].(string) + ":" + vars["UNICASTRTP_LOCAL_PORT"].(string)
	tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", "dev,"+emID), "")

	snoop := tg.do(t, "POST", "/channels/dev/snoop", qv("app", "holdslayer", "spy", "in"), "").obj(t)
	sb := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
	snoopSink := newSink(t)
	sem := tg.do(t, "POST", "/channels/externalMedia", qv("app", "holdslayer", "external_host", snoopSink.addr(), "format", "slin16"), "").obj(t)
	tg.do(t, "POST", "/bridges/"+sb+"/addChannel", qv("channel", snoop["id"].(string)+","+sem["id"].(string)), "")

	before := len(s.DeviceHeard("robert"))
	sendTone(t, local, 118, 1000, 50, clk) // dropped
	mid := len(s.DeviceHeard("robert"))
	sendTone(t, local, 0, 1000, 50, clk) // accepted
	_ = clock.Sleep(t.Context(), clk, 200*time.Millisecond)
	heard := s.DeviceHeard("robert")
	if e := toneEnergy(heard[before:mid], 1000, 8000); e > 0.1 {
		t.Errorf("PT 118 reached the device (energy %.2f)", e)
	}
	if e := toneEnergy(heard[mid:], 1000, 8000); e < 0.3 {
		t.Errorf("ulaw tone did not reach the device (energy %.2f)", e)
	}
	if n := len(direct.snapshot()); n != 0 {
		t.Errorf("two-party bridge sent %d packets while the device was silent", n)
	}
	sp := snoopSink.snapshot()
	if len(sp) < 50 {
		t.Errorf("snoop sent only %d packets", len(sp))
	}
	if e := toneEnergy(samplesOf(sp), 1000, 16000); e > 0.1 {
		t.Errorf("snoop spy=in carried our own tone (energy %.2f)", e)
	}
	tg.do(t, "DELETE", "/channels/dev", nil, "")
	for _, id := range []string{emID, sem["id"].(string)} {
		tg.do(t, "DELETE", "/channels/"+id, nil, "")
	}
	tg.do(t, "DELETE", "/bridges/"+bid, nil, "")
	tg.do(t, "DELETE", "/bridges/"+sb, nil, "")
	time.Sleep(20 * time.Millisecond)
	if c, b := s.Live(); c != 0 || b != 0 {
		t.Errorf("leak: %d channels %d bridges", c, b)
	}
}
