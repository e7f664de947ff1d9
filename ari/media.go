package ari

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/app/clock"
)

// RTP facts of Asterisk's externalMedia (see ari-traces): 20 ms packets; slin16 is dynamic
// payload type 118 with 640 big-endian bytes, ulaw is type 0 with 160 bytes.
const (
	FrameDuration = 20 * time.Millisecond
	PayloadSlin16 = 118
	PayloadULaw   = 0
	frameBuffer   = 50 // frames (1 s) a slow consumer may fall behind before the oldest drop
	maxCatchUp    = 25 // frames played at once after the receiver was not scheduled for a while
)

// MediaStats is what a media session saw, for logs and benchmarks.
type MediaStats struct {
	JitterStats
	Frames    uint64 // frames delivered (real and filled)
	Filled    uint64 // of which synthesised silence
	Dropped   uint64 // frames dropped because the consumer was slow
	BadPacket uint64 // not RTP, or an unexpected payload type
}

// mediaFormat describes one externalMedia codec as the receiver decodes it.
type mediaFormat struct {
	name        string
	payloadType uint8
	rate        int
	decode      func(payload []byte) []int16
}

func formatFor(name string) (mediaFormat, error) {
	switch name {
	case FormatSlin16:
		return mediaFormat{name: name, payloadType: PayloadSlin16, rate: 16000, decode: decodeSlinBE}, nil
	case FormatULaw:
		return mediaFormat{name: name, payloadType: PayloadULaw, rate: 8000, decode: audio.ULawDecode}, nil
	}
	return mediaFormat{}, fmt.Errorf("media format %q: %w", name, app.ErrInvalid)
}

func decodeSlinBE(p []byte) []int16 {
	out := make([]int16, len(p)/2)
	for i := range out {
		out[i] = int16(binary.BigEndian.Uint16(p[2*i:]))
	}
	return out
}

// RTPSource receives one externalMedia RTP stream on its own UDP socket and turns it into a
// clock-paced stream of 20 ms frames: packets are reordered by sequence number, losses and
// the bridge's silent gaps become Filled silence frames, and a slow consumer loses the oldest
// frames instead of stalling the receiver. It satisfies app.AudioSource.
type RTPSource struct {
	conn   *net.UDPConn
	format mediaFormat
	clk    clock.Clock
	log    *slog.Logger
	out    chan app.AudioFrame

	mu sync.Mutex
	jb *jitterBuffer

	frames, filled, dropped, bad atomic.Uint64

	stop     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once
	// teardown removes the ARI side (snoop, bridge, externalMedia) once, on Close.
	teardown  func(context.Context) error
	closeOnce sync.Once
	closeErr  error
}

// NewRTPSource starts receiving on conn (which it owns from now on) in the given format
// ("slin16" or "ulaw"), with frames paced by clk.
func NewRTPSource(conn *net.UDPConn, format string, clk clock.Clock, log *slog.Logger) (*RTPSource, error) {
	f, err := formatFor(format)
	if err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &RTPSource{
		conn: conn, format: f, clk: clk, log: log,
		out:  make(chan app.AudioFrame, frameBuffer),
		jb:   newJitterBuffer(DefaultJitterDepth),
		stop: make(chan struct{}),
	}
	s.wg.Add(2)
	go s.readLoop()
	go s.tickLoop()
	return s, nil
}

// Frames delivers 20 ms frames until the source is closed or its channel ends.
func (s *RTPSource) Frames() <-chan app.AudioFrame { return s.out }

// SampleRate is 16000 for slin16 and 8000 for ulaw.
func (s *RTPSource) SampleRate() int { return s.format.rate }

// LocalAddr is the UDP address Asterisk sends to.
func (s *RTPSource) LocalAddr() *net.UDPAddr { return s.conn.LocalAddr().(*net.UDPAddr) }

// Stats returns the counters so far.
func (s *RTPSource) Stats() MediaStats {
	s.mu.Lock()
	js := s.jb.stats
	s.mu.Unlock()
	return MediaStats{JitterStats: js, Frames: s.frames.Load(), Filled: s.filled.Load(),
		Dropped: s.dropped.Load(), BadPacket: s.bad.Load()}
}

func (s *RTPSource) readLoop() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, _, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Warn("rtp read failed", "err", err)
			}
			return
		}
		if err := p.Unmarshal(buf[:n]); err != nil || p.PayloadType != s.format.payloadType || len(p.Payload) == 0 {
			s.bad.Add(1)
			continue
		}
		samples := s.format.decode(p.Payload)
		s.mu.Lock()
		s.jb.push(p.SSRC, p.SequenceNumber, samples)
		s.mu.Unlock()
	}
}

func (s *RTPSource) tickLoop() {
	defer s.wg.Done()
	frameLen := s.format.rate * int(FrameDuration/time.Millisecond) / 1000
	t := s.clk.NewTicker(FrameDuration)
	defer t.Stop()
	// Frames are due by the clock, not by ticks: a ticker drops ticks while this goroutine is
	// not scheduled, and playing one frame per tick would then fall behind the sender until
	// the jitter buffer overflows and cuts pieces out of the audio. Each tick plays every
	// frame due since the last one (a long stall skips ahead, bounded like the sender's).
	start := s.clk.Now()
	var done int64
	for {
		select {
		case <-t.C():
			due := int64(s.clk.Now().Sub(start) / FrameDuration)
			if due-done > maxCatchUp {
				done = due - maxCatchUp
			}
			for ; done < due; done++ {
				s.mu.Lock()
				samples := s.jb.pop()
				s.mu.Unlock()
				f := app.AudioFrame{Samples: samples}
				if samples == nil {
					f = app.AudioFrame{Samples: make([]int16, frameLen), Filled: true}
					s.filled.Add(1)
				}
				s.emit(f)
			}
		case <-s.stop:
			return
		}
	}
}

// emit never blocks: when the consumer is a second behind, the oldest frame makes room.
func (s *RTPSource) emit(f app.AudioFrame) {
	s.frames.Add(1)
	select {
	case s.out <- f:
		return
	default:
	}
	select {
	case <-s.out:
		s.dropped.Add(1)
	default:
	}
	select {
	case s.out <- f:
	default:
		s.dropped.Add(1)
	}
}

// stopMedia closes the socket and ends the goroutines and Frames; safe to call more than once.
func (s *RTPSource) stopMedia() {
	s.stopOnce.Do(func() {
		close(s.stop)
		_ = s.conn.Close()
		s.wg.Wait()
		close(s.out)
	})
}

// Close stops the media and removes the ARI resources behind it.
func (s *RTPSource) Close() error {
	s.closeOnce.Do(func() {
		s.stopMedia()
		if s.teardown != nil {
			s.closeErr = s.teardown(context.Background())
		}
	})
	return s.closeErr
}

// listenUDP opens a media socket on the media host with a kernel-chosen port.
func (a *Adapter) listenUDP() (*net.UDPConn, error) {
	ip := net.ParseIP(a.opts.MediaHost)
	if ip == nil {
		return nil, fmt.Errorf("media host %q is not an IP: %w", a.opts.MediaHost, app.ErrInvalid)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	if err != nil {
		return nil, fmt.Errorf("listen rtp on %s: %w", a.opts.MediaHost, err)
	}
	_ = conn.SetReadBuffer(256 << 10)
	return conn, nil
}
