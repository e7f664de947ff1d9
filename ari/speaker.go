package ari

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	ariv5 "github.com/CyCoreSystems/ari/v5"
	"github.com/pion/rtp"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/app/clock"
)

// speakRate is what the say channel carries: Asterisk drops the dynamic type 118 sent to it, so
// we send ulaw (static type 0) at 8 kHz and let Asterisk transcode.
const speakRate = 8000

// RTPSink sends PCM into a call as 20 ms ulaw RTP packets paced by the clock, to the address
// Asterisk gave its externalMedia channel. It satisfies app.AudioSink.
type RTPSink struct {
	conn   *net.UDPConn
	remote *net.UDPAddr
	clk    clock.Clock
	log    *slog.Logger

	playMu sync.Mutex // one Play at a time; also guards the RTP state below
	ssrc   uint32
	seq    uint16
	ts     uint32

	stop      chan struct{}
	stopOnce  sync.Once
	teardown  func(context.Context) error
	closeOnce sync.Once
	closeErr  error
}

// NewRTPSink sends from conn (which it owns from now on) to remote.
func NewRTPSink(conn *net.UDPConn, remote *net.UDPAddr, clk clock.Clock, log *slog.Logger) *RTPSink {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RTPSink{conn: conn, remote: remote, clk: clk, log: log,
		ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32(), stop: make(chan struct{})}
}

// Play sends mono PCM at rate Hz, paced in real (clock) time; it returns when all was sent, ctx
// ended, or the sink was closed.
func (k *RTPSink) Play(ctx context.Context, samples []int16, rate int) error {
	if rate <= 0 {
		return fmt.Errorf("play: rate %d: %w", rate, app.ErrInvalid)
	}
	k.playMu.Lock()
	defer k.playMu.Unlock()
	if rate != speakRate {
		samples = audio.Resample(samples, rate, speakRate)
	}
	const frame = speakRate * int(FrameDuration/time.Millisecond) / 1000
	t := k.clk.NewTicker(FrameDuration)
	defer t.Stop()
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PayloadULaw, SSRC: k.ssrc}}
	buf := make([]byte, 0, 12+frame)
	pcm := make([]int16, frame)
	// Frames go out as they fall due by the clock, not one per tick: a ticker drops ticks while
	// this goroutine is not scheduled, which would stretch the speech with gaps.
	start := k.clk.Now()
	for off, sent := 0, int64(0); off < len(samples); off, sent = off+frame, sent+1 {
		for sent > 0 && int64(k.clk.Now().Sub(start)/FrameDuration) < sent {
			select {
			case <-t.C():
			case <-ctx.Done():
				return fmt.Errorf("play: %w", ctx.Err())
			case <-k.stop:
				return fmt.Errorf("play: speaker closed: %w", app.ErrConflict)
			}
		}
		n := copy(pcm, samples[off:])
		clear(pcm[n:])
		pkt.Marker = off == 0
		pkt.SequenceNumber = k.seq
		pkt.Timestamp = k.ts
		pkt.Payload = audio.ULawEncode(pcm)
		b, err := pkt.Header.MarshalTo(buf[:cap(buf)])
		if err != nil {
			return fmt.Errorf("play: marshal rtp: %w", err)
		}
		out := append(buf[:b], pkt.Payload...)
		if _, err := k.conn.WriteToUDP(out, k.remote); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("play: speaker closed: %w", app.ErrConflict)
			}
			return fmt.Errorf("play: send rtp: %w", err)
		}
		k.seq++
		k.ts += uint32(frame)
	}
	return nil
}

func (k *RTPSink) stopMedia() {
	k.stopOnce.Do(func() {
		close(k.stop)
		_ = k.conn.Close()
	})
}

// Close stops sending and removes the say channel.
func (k *RTPSink) Close() error {
	k.closeOnce.Do(func() {
		k.stopMedia()
		if k.teardown != nil {
			k.closeErr = k.teardown(context.Background())
		}
	})
	return k.closeErr
}

// Speaker adds an externalMedia "say" channel (ulaw) to bridgeID and returns a sink that sends
// RTP to the address Asterisk reports in UNICASTRTP_LOCAL_ADDRESS/PORT.
func (s *Session) Speaker(ctx context.Context, bridgeID string) (app.AudioSink, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	a := s.a
	conn, err := a.listenUDP()
	if err != nil {
		return nil, err
	}
	sayID := newID("say")
	sink := NewRTPSink(conn, nil, a.clk, s.log.With("say", sayID))
	made := false
	sink.teardown = func(ctx context.Context) error {
		s.removeCloser(sink)
		if !made {
			return nil
		}
		return s.Hangup(ctx, sayID, "normal")
	}
	fail := func(err error) (app.AudioSink, error) {
		_ = sink.Close()
		return nil, fmt.Errorf("speaker into %s: %w", bridgeID, err)
	}
	h, err := a.client.Channel().StageExternalMedia(nil, ariv5.ExternalMediaOptions{
		ChannelID:      sayID,
		App:            a.opts.App,
		ExternalHost:   conn.LocalAddr().String(),
		Encapsulation:  "rtp",
		Transport:      "udp",
		ConnectionType: "client",
		Format:         FormatULaw,
		Direction:      "both",
	})
	if err != nil {
		return fail(err)
	}
	s.addChannel(sayID, kindMedia, sink.stopMedia)
	if err := s.createChannel(ctx, "external media (say)", sayID, func(c context.Context) error { return a.do(c, "external media (say)", h.Exec) }); err != nil {
		return fail(err)
	}
	made = true
	peer, err := s.rtpPeer(ctx, sayID)
	if err != nil {
		return fail(err)
	}
	raddr, err := net.ResolveUDPAddr("udp", peer)
	if err != nil {
		return fail(fmt.Errorf("resolve %s: %w", peer, err))
	}
	sink.remote = raddr
	if err := s.addNewChannel(ctx, bridgeID, sayID); err != nil {
		return fail(err)
	}
	s.addCloser(sink)
	s.log.Info("speaker ready", "bridge_id", bridgeID, "say_id", sayID, "rtp_to", peer)
	return sink, nil
}
