package ari

import (
	"context"
	"encoding/binary"
	"math"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/app/clock"
)

// mediaPair starts an RTPSource on loopback and returns it with a socket that sends to it.
func mediaPair(t *testing.T, format string) (*RTPSource, *net.UDPConn) {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewRTPSource(conn, format, clock.Real{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := net.DialUDP("udp", nil, src.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Close(); _ = src.Close() })
	return src, tx
}

// slinPacket is a slin16 packet whose 320 samples all equal value.
func slinPacket(t *testing.T, ssrc uint32, seq uint16, value int16) []byte {
	t.Helper()
	payload := make([]byte, 640)
	for i := 0; i < 320; i++ {
		binary.BigEndian.PutUint16(payload[2*i:], uint16(value))
	}
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PayloadSlin16, SequenceNumber: seq,
		Timestamp: uint32(seq) * 320, SSRC: ssrc}, Payload: payload}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// realFrames reads frames until n unfilled ones arrived, returning them and how many filled
// frames came between the first and the last.
func realFrames(t *testing.T, src *RTPSource, n int) (got []app.AudioFrame, filledBetween int) {
	t.Helper()
	deadline := time.After(3 * time.Second)
	for len(got) < n {
		select {
		case f, ok := <-src.Frames():
			if !ok {
				t.Fatal("frames closed early")
			}
			if f.Filled {
				if len(got) > 0 {
					filledBetween++
				}
				continue
			}
			got = append(got, f)
		case <-deadline:
			t.Fatalf("only %d of %d real frames", len(got), n)
		}
	}
	return got, filledBetween
}

func TestRTPSourceReorders(t *testing.T) {
	src, tx := mediaPair(t, FormatSlin16)
	base := uint16(65533) // crosses the sequence wrap
	for _, d := range []uint16{0, 2, 1, 3, 5, 4} {
		if _, err := tx.Write(slinPacket(t, 7, base+d, int16(100+d))); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := realFrames(t, src, 6)
	for i, f := range got {
		if len(f.Samples) != 320 {
			t.Fatalf("frame %d has %d samples, want 320", i, len(f.Samples))
		}
		if want := int16(100 + i); f.Samples[0] != want || f.Samples[319] != want {
			t.Errorf("frame %d = %d, want %d (out of order)", i, f.Samples[0], want)
		}
	}
	if st := src.Stats(); st.Lost != 0 || st.Received != 6 {
		t.Errorf("stats %+v, want 6 received and none lost", st)
	}
}

func TestRTPSourceLossBecomesSilence(t *testing.T) {
	src, tx := mediaPair(t, FormatSlin16)
	for _, seq := range []uint16{10, 11, 13, 14} { // 12 never arrives
		if _, err := tx.Write(slinPacket(t, 1, seq, int16(seq))); err != nil {
			t.Fatal(err)
		}
	}
	got, filled := realFrames(t, src, 4)
	want := []int16{10, 11, 13, 14}
	for i, f := range got {
		if f.Samples[0] != want[i] {
			t.Errorf("frame %d = %d, want %d", i, f.Samples[0], want[i])
		}
	}
	if filled != 1 {
		t.Errorf("%d filled frames in place of the lost packet, want 1", filled)
	}
	if st := src.Stats(); st.Lost != 1 {
		t.Errorf("lost = %d, want 1", st.Lost)
	}
}

func TestRTPSourceFillsSilentGapsByClock(t *testing.T) {
	src, tx := mediaPair(t, FormatSlin16)
	start := time.Now()
	var filled int
	for time.Since(start) < 400*time.Millisecond {
		f := <-src.Frames()
		if !f.Filled || len(f.Samples) != 320 {
			t.Fatalf("frame without any packet: filled=%v len=%d", f.Filled, len(f.Samples))
		}
		for _, v := range f.Samples {
			if v != 0 {
				t.Fatal("filled frame is not silence")
			}
		}
		filled++
	}
	// 400 ms of nothing is 20 frames; allow scheduler slack.
	if filled < 15 || filled > 25 {
		t.Errorf("%d frames in 400 ms of silence, want about 20", filled)
	}
	if _, err := tx.Write(slinPacket(t, 3, 500, 42)); err != nil {
		t.Fatal(err)
	}
	got, _ := realFrames(t, src, 1)
	if got[0].Samples[0] != 42 {
		t.Errorf("frame after the gap = %d, want 42", got[0].Samples[0])
	}
}

func TestRTPSourceDecodesULaw(t *testing.T) {
	src, tx := mediaPair(t, FormatULaw)
	if src.SampleRate() != 8000 {
		t.Fatalf("rate %d", src.SampleRate())
	}
	tone := make([]int16, 160)
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/8000))
	}
	enc := audio.ULawEncode(tone)
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PayloadULaw, SequenceNumber: 1, SSRC: 9}, Payload: enc}
	b, _ := p.Marshal()
	// A slin16 packet on a ulaw session is not ours: counted and ignored.
	if _, err := tx.Write(slinPacket(t, 9, 0, 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Write(b); err != nil {
		t.Fatal(err)
	}
	got, _ := realFrames(t, src, 1)
	want := audio.ULawDecode(enc)
	if len(got[0].Samples) != 160 {
		t.Fatalf("%d samples, want 160", len(got[0].Samples))
	}
	for i := range want {
		if got[0].Samples[i] != want[i] {
			t.Fatalf("sample %d = %d, want %d", i, got[0].Samples[i], want[i])
		}
	}
	if st := src.Stats(); st.BadPacket != 1 {
		t.Errorf("bad packets = %d, want 1", st.BadPacket)
	}
}

func TestRTPSourceSlowConsumerDropsOldest(t *testing.T) {
	src, tx := mediaPair(t, FormatSlin16)
	time.Sleep(time.Duration(frameBuffer+15) * FrameDuration) // nobody reads
	if _, err := tx.Write(slinPacket(t, 1, 1, 77)); err != nil {
		t.Fatal(err)
	}
	got, _ := realFrames(t, src, 1)
	if got[0].Samples[0] != 77 {
		t.Fatal("newest frame missing after overflow")
	}
	if st := src.Stats(); st.Dropped == 0 {
		t.Errorf("no frames counted as dropped: %+v", st)
	}
}

func TestRTPSourceCloseEndsFrames(t *testing.T) {
	src, _ := mediaPair(t, FormatSlin16)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	for range src.Frames() {
	}
	if err := src.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
}

func TestRTPSinkPacesULaw(t *testing.T) {
	rx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sink := NewRTPSink(tx, rx.LocalAddr().(*net.UDPAddr), clock.Real{}, nil)
	defer sink.Close()
	pcm := make([]int16, 16000/10) // 100 ms at 16 kHz -> 5 packets at 8 kHz
	for i := range pcm {
		pcm[i] = int16(10000 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	start := time.Now()
	if err := sink.Play(context.Background(), pcm, 16000); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 70*time.Millisecond {
		t.Errorf("5 packets sent in %v: not paced", el)
	}
	_ = rx.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 1500)
	var prev rtp.Packet
	var energy float64
	for i := 0; i < 5; i++ {
		n, err := rx.Read(buf)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if p.PayloadType != PayloadULaw || len(p.Payload) != 160 {
			t.Fatalf("packet %d: pt %d len %d", i, p.PayloadType, len(p.Payload))
		}
		if i == 0 && !p.Marker {
			t.Error("first packet of a talkspurt has no marker")
		}
		if i > 0 && (p.SequenceNumber != prev.SequenceNumber+1 || p.Timestamp != prev.Timestamp+160) {
			t.Errorf("packet %d: seq %d ts %d after %d/%d", i, p.SequenceNumber, p.Timestamp, prev.SequenceNumber, prev.Timestamp)
		}
		for _, v := range audio.ULawDecode(p.Payload) {
			energy += float64(v) * float64(v)
		}
		prev = p
	}
	if rms := math.Sqrt(energy / 800); rms < 3000 {
		t.Errorf("rms %.0f: the tone did not survive", rms)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sink.Play(ctx, pcm, 16000); err == nil {
		t.Error("play with a cancelled ctx succeeded")
	}
}
