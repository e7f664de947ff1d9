package aritest

import (
	"time"
)

// frameSamples is one 20 ms frame at the simulation's internal rate, 8 kHz.
const (
	frameSamples = 160
	frameDur     = 20 * time.Millisecond
	maxCatchUp   = 25 // frames processed at once when the loop falls behind
)

// loop plays samples over and over (music on hold).
type loop struct {
	samples []int16
	pos     int
}

func (l *loop) next() []int16 {
	f := make([]int16, frameSamples)
	if len(l.samples) == 0 {
		return f
	}
	for i := range f {
		f[i] = l.samples[l.pos]
		l.pos = (l.pos + 1) % len(l.samples)
	}
	return f
}

// mediaLoop paces all audio by the clock: every 20 ms of clock time one frame moves through
// every channel, bridge, snoop, recording and RTP socket. When the process falls behind it
// catches up (bounded), so packet counts track clock time.
func (s *Server) mediaLoop() {
	defer s.wg.Done()
	t := s.clk.NewTicker(frameDur)
	defer t.Stop()
	start := s.clk.Now()
	var done int64
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C():
		}
		due := int64(s.clk.Now().Sub(start) / frameDur)
		if due-done > maxCatchUp {
			done = due - maxCatchUp
		}
		for ; done < due; done++ {
			s.mu.Lock()
			s.tickLocked()
			s.mu.Unlock()
		}
	}
}

func mix(dst, src []int16) []int16 {
	if src == nil {
		return dst
	}
	if dst == nil {
		return append([]int16(nil), src...)
	}
	for i := range dst {
		if i < len(src) {
			v := int32(dst[i]) + int32(src[i])
			if v > 32767 {
				v = 32767
			} else if v < -32768 {
				v = -32768
			}
			dst[i] = int16(v)
		}
	}
	return dst
}

func silence() []int16 { return make([]int16, frameSamples) }

func (s *Server) tickLocked() {
	chans := s.sortedChannels()
	// 1. what every channel reads from its far end
	for _, c := range chans {
		c.readNow = nil
		switch c.kind {
		case kindLocal1, kindPJSIP:
			if f := farOf(c); f != nil && c.state == "Up" {
				c.readNow = f.read()
			}
		case kindUnicast:
			c.readNow = c.ext.read()
		}
	}
	// 2. snoops carry what their target reads (spy=in) and/or was written (spy=out); always
	for _, c := range chans {
		if c.kind != kindSnoop {
			continue
		}
		t := c.snoop.target
		var f []int16
		if c.snoop.spy == "in" || c.snoop.spy == "both" {
			f = mix(f, t.readNow)
		}
		if c.snoop.spy == "out" || c.snoop.spy == "both" {
			f = mix(f, t.lastWrite)
		}
		if f == nil {
			f = silence()
		}
		c.readNow = f
	}
	// 3. bridges mix members' audio
	writes := map[*channel][]int16{}
	for _, b := range s.bridges {
		var extra []int16
		if b.moh != nil {
			extra = b.moh.next()
		}
		extra = mix(extra, s.advancePlaysLocked(&b.plays))
		var all []int16
		for _, m := range b.members {
			all = mix(all, m.readNow)
		}
		all = mix(all, extra)
		if all == nil && s.opts.TransmitSilence {
			all = silence()
		}
		for _, r := range b.recordings {
			if all != nil {
				r.samples = append(r.samples, all...)
			}
		}
		for _, m := range b.members {
			var f []int16
			if b.typ != "holding" {
				for _, o := range b.members {
					if o != m {
						f = mix(f, o.readNow)
					}
				}
			}
			f = mix(f, extra)
			if f == nil && (len(b.members) > 2 || s.opts.TransmitSilence) {
				f = silence() // softmix always produces; simple two-party bridges only with transmit_silence
			}
			writes[m] = f
		}
	}
	// 4. channel-level music and playbacks, then delivery to the far ends and RTP sockets
	for _, c := range chans {
		f := writes[c]
		if c.moh != nil {
			f = mix(f, c.moh.next())
		}
		f = mix(f, s.advancePlaysLocked(&c.plays))
		c.lastWrite = f
		switch c.kind {
		case kindLocal1, kindPJSIP:
			if fe := farOf(c); fe != nil && c.state == "Up" {
				fe.hear(f)
			}
		case kindUnicast:
			c.ext.send(f, s.faults)
		}
		for _, r := range c.recordings {
			if c.readNow != nil {
				r.samples = append(r.samples, c.readNow...)
			} else if s.opts.TransmitSilence || c.kind == kindSnoop {
				r.samples = append(r.samples, silence()...)
			}
		}
	}
}
