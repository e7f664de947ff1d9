package aritest

import (
	"sort"
	"strings"
)

// causeText is Asterisk's text for the hangup causes the simulation produces.
func causeText(cause int) string {
	switch cause {
	case 0:
		return "Unknown"
	case 1:
		return "Unallocated (unassigned) number"
	case 16:
		return "Normal Clearing"
	case 17:
		return "User busy"
	case 18:
		return "No user responding"
	case 19:
		return "User alerting, no answer"
	case 20:
		return "Subscriber absent"
	case 21:
		return "Call Rejected"
	case 34:
		return "Circuit/channel congestion"
	default:
		return "Unknown"
	}
}

// reasonCause maps DELETE /channels reason= to a Q.850 cause, as Asterisk does.
func reasonCause(reason string) int {
	switch reason {
	case "busy":
		return 17
	case "congestion":
		return 34
	case "no_answer":
		return 19
	case "timeout":
		return 18
	case "rejected":
		return 21
	case "unallocated":
		return 1
	case "answered_elsewhere":
		return 26
	default:
		return 16
	}
}

func (s *Server) sortedChannels() []*channel {
	out := make([]*channel, 0, len(s.channels))
	for _, c := range s.channels {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// enterStasisLocked moves an answered channel into its application (StasisStart with args).
func (s *Server) enterStasisLocked(c *channel, app string, args []string) {
	if args == nil {
		args = []string{}
	}
	c.stasisApp, c.stasisArgs = app, args
	c.dp = dialplan{Context: c.dp.Context, Exten: c.dp.Exten, Priority: 1, AppName: "Stasis", AppData: strings.Join(append([]string{app}, args...), ",")}
	s.varset(c, "STASISSTATUS", "")
	s.chanEvent("StasisStart", c, map[string]any{"args": args})
}

func (s *Server) leaveBridgeLocked(c *channel) {
	b := c.bridge
	if b == nil {
		return
	}
	b.remove(c)
	c.bridge = nil
	if len(b.members) == 1 {
		s.varset(c, "BRIDGEPEER", "")
	}
	for a := range c.apps {
		b.apps[a] = true
	}
	s.chanEvent("ChannelLeftBridge", c, map[string]any{"bridge": b.json()})
}

func (s *Server) destroyLocked(c *channel, cause int) {
	if c.dead {
		return
	}
	c.dead = true
	if c.kind != kindSnoop {
		s.chanEvent("ChannelDestroyed", c, map[string]any{"cause": cause, "cause_txt": causeText(cause)})
	}
	s.killMedia(c)
	delete(s.channels, c.id)
	// snoops on a dead channel die with it
	for _, o := range s.sortedChannels() {
		if o.snoop != nil && o.snoop.target == c && !o.dead {
			s.hangupLocked(o, 16, true)
		}
	}
}

// killMedia stops the channel's far end, RTP socket and recordings.
func (s *Server) killMedia(c *channel) {
	if c.far != nil {
		c.far.stop()
	}
	if c.ext != nil {
		c.ext.close()
	}
	if c.wsm != nil {
		c.wsm.close()
		delete(s.mediaConns, c.wsm.connID)
	}
	for _, r := range c.recordings {
		s.finishRecordingLocked(r, true)
	}
	c.recordings = nil
	for _, p := range c.plays {
		s.finishPlaybackLocked(p, "done")
	}
	c.plays = nil
}

// hangupLocked is our hangup (DELETE /channels/{id}): soft request, bridge leave, StasisEnd,
// then destruction of the channel (and the other half of a Local pair).
func (s *Server) hangupLocked(c *channel, cause int, soft bool) {
	if c.dead {
		return
	}
	if soft {
		s.chanEvent("ChannelHangupRequest", c, map[string]any{"cause": 32, "soft": true})
	} else {
		s.chanEvent("ChannelHangupRequest", c, map[string]any{"cause": cause})
	}
	if c.kind == kindLocal2 {
		// hanging up the dialplan half is the far end hanging up
		s.farHangupLocked(c.peer, cause)
		return
	}
	s.leaveBridgeLocked(c)
	if c.stasisApp != "" {
		c.stasisApp = ""
		s.chanEvent("StasisEnd", c, nil)
		if c.kind != kindSnoop {
			s.varset(c, "STASISSTATUS", "SUCCESS")
		}
	}
	if c.kind == kindLocal1 && c.peer != nil && !c.peer.dead {
		p := c.peer
		s.chanEvent("ChannelHangupRequest", p, map[string]any{"cause": cause})
		s.destroyLocked(c, cause)
		s.chanEvent("ChannelHangupRequest", p, map[string]any{"cause": 16, "soft": true})
		s.destroyLocked(p, cause)
		return
	}
	s.destroyLocked(c, cause)
}

// farHangupLocked ends the call from the far end of c (c is the Stasis-side channel, or a
// Local;2 whose peer is the Stasis side).
func (s *Server) farHangupLocked(c *channel, cause int) {
	if c == nil || c.dead {
		return
	}
	if c.kind == kindLocal2 {
		c = c.peer
		if c == nil || c.dead {
			return
		}
	}
	if c.stasisApp == "" && c.state != "Up" {
		// not answered yet: the dial failed
		s.dialFailedLocked(c, cause)
		return
	}
	p := c.peer
	if c.kind == kindLocal1 && p != nil && !p.dead {
		s.chanEvent("ChannelHangupRequest", p, map[string]any{"cause": 16, "soft": true})
		s.chanEvent("ChannelHangupRequest", c, map[string]any{"cause": cause})
		s.leaveBridgeLocked(c)
		s.destroyLocked(p, cause)
	} else {
		s.chanEvent("ChannelHangupRequest", c, map[string]any{"cause": cause})
		s.leaveBridgeLocked(c)
	}
	if c.stasisApp != "" {
		c.stasisApp = ""
		s.chanEvent("StasisEnd", c, nil)
		s.varset(c, "STASISSTATUS", "SUCCESS")
	}
	s.destroyLocked(c, cause)
}

// dialFailedLocked ends a call that was never answered (busy, no answer, congestion).
func (s *Server) dialFailedLocked(c *channel, cause int) {
	status := "CHANUNAVAIL"
	switch cause {
	case 17:
		status = "BUSY"
	case 19, 18:
		status = "NOANSWER"
	case 34:
		status = "CONGESTION"
	case 16:
		status = "CANCEL"
	}
	s.emitLocked("Dial", c.apps, map[string]any{"dialstatus": status, "dialstring": c.vars["__dialstring"], "forward": "", "peer": c.json()})
	if p := c.peer; p != nil && !p.dead {
		s.destroyLocked(p, cause)
	}
	s.destroyLocked(c, cause)
}

// restartHangupLocked tears a channel down the way `core restart now` does (trace h): for a
// Local pair both halves get a soft request with cause 4, then ;2 a soft 16 and ;1 a hard 0,
// ;2 is destroyed (cause 0), ;1 leaves its bridge, ends Stasis and is destroyed (cause 16).
func (s *Server) restartHangupLocked(c *channel) {
	if c.dead {
		return
	}
	p := c.peer
	if p != nil && p.dead {
		p = nil
	}
	if p != nil {
		s.chanEvent("ChannelHangupRequest", p, map[string]any{"cause": 4, "soft": true})
	}
	s.chanEvent("ChannelHangupRequest", c, map[string]any{"cause": 4, "soft": true})
	if p != nil {
		s.chanEvent("ChannelHangupRequest", p, map[string]any{"cause": 16, "soft": true})
		s.chanEvent("ChannelHangupRequest", c, map[string]any{"cause": 0})
		s.destroyLocked(p, 0)
	}
	s.leaveBridgeLocked(c)
	if c.stasisApp != "" {
		c.stasisApp = ""
		s.chanEvent("StasisEnd", c, nil)
		if c.kind != kindSnoop {
			s.varset(c, "STASISSTATUS", "SUCCESS")
		}
	}
	s.destroyLocked(c, 16)
}
