package app

import (
	"fmt"
	"strings"
)

// transfer is the ringing of the user's devices, one after another, until one answers.
type transfer struct {
	auto       bool // started by detection or the flow, not by a user command
	targets    []deviceTarget
	current    deviceTarget
	channel    string
	tried      []string
	prevStatus CallStatus
	// answered: the current device answered while the agent greeting still played; it is
	// bridged when the greeting ends.
	answered bool
}

// startTransfer connects the user: the waiting caller of a dialplan entry, or the devices in
// order (the asked one first). The endCause ends the call; the error is for a user's command.
func (c *call) startTransfer(asked string, auto bool) (*endCause, error) {
	if c.inboundCh != "" && c.req.Mode == ModeHoldSlayer {
		return nil, c.connectCaller()
	}
	prev := c.state.Status
	targets, err := c.eng.deviceCandidates(c.ctx, asked)
	if err != nil {
		c.log.Warn("transfer has no device", "err", err)
		if c.req.Mode != ModeHoldSlayer {
			return failedf("no_device", "%v", err), err
		}
		c.emit(EventTransferFailed, map[string]any{
			"reason": err.Error(), "devices_tried": []string{}, "agent_kept": true,
			"message": "no device could be rung; the agent is kept on the line",
		})
		return nil, err
	}
	c.xfer = &transfer{auto: auto, targets: targets, prevStatus: prev}
	if c.req.Mode == ModeHoldSlayer {
		c.setStatus(StatusTransferring)
	}
	return c.ringNext(), nil
}

// ringNext rings the next candidate device, or gives up when none is left.
func (c *call) ringNext() *endCause {
	x := c.xfer
	for len(x.targets) > 0 {
		t := x.targets[0]
		x.targets = x.targets[1:]
		x.current = t
		c.emit(EventTransferStarted, map[string]any{
			"device": t.Device.Name, "device_id": t.Device.ID, "endpoint": t.Endpoint, "from_call_id": c.id,
		})
		ch, err := c.sess.Originate(c.ctx, t.Endpoint, OriginateOptions{Timeout: c.eng.limits.DeviceRingTimeout})
		if err != nil {
			c.log.Warn("ring device", "device", t.Device.ID, "endpoint", t.Endpoint, "err", err)
			x.tried = append(x.tried, t.Device.Name)
			continue
		}
		x.channel = ch
		c.devTimer = c.clk.NewTimer(c.eng.limits.DeviceRingTimeout)
		c.log.Info("ringing device", "device", t.Device.ID, "endpoint", t.Endpoint, "device_channel", ch)
		return nil
	}
	return c.transferFailed("no device answered")
}

// transferFailed reports that no device answered. A hold_slayer call keeps the agent on the
// line and goes back to where it was; a direct call has no purpose left and fails.
func (c *call) transferFailed(reason string) *endCause {
	x := c.xfer
	c.xfer = nil
	stopTimer(&c.devTimer)
	if c.req.Mode != ModeHoldSlayer {
		return failedf(ReasonDeviceNoAnswer, "%s (tried %s)", reason, strings.Join(x.tried, ", "))
	}
	c.emit(EventTransferFailed, map[string]any{
		"reason": reason, "devices_tried": x.tried, "agent_kept": true,
		"message": "no device answered; the agent is kept on the line",
	})
	back := x.prevStatus
	if back == StatusNavigating || back == StatusConnected {
		back = StatusHumanDetected
	}
	c.setStatus(back)
	return nil
}

func (c *call) onDeviceTimeout() *endCause {
	if c.xfer == nil || c.xfer.channel == "" {
		return nil
	}
	c.hangupChannel(c.xfer.channel, "normal")
	return c.onDeviceGone(fmt.Sprintf("no answer within %s", c.eng.limits.DeviceRingTimeout))
}

// onDeviceGone moves on from a device that did not answer.
func (c *call) onDeviceGone(why string) *endCause {
	x := c.xfer
	c.log.Info("device did not answer", "device", x.current.Device.ID, "why", why)
	x.tried = append(x.tried, x.current.Device.Name)
	x.channel = ""
	x.answered = false
	stopTimer(&c.devTimer)
	return c.ringNext()
}

// onDeviceAnswered joins the answering device to the call bridge.
func (c *call) onDeviceAnswered() *endCause {
	x := c.xfer
	stopTimer(&c.devTimer)
	if c.speaking == speakGreeting && c.req.Mode == ModeHoldSlayer {
		x.answered = true
		c.log.Info("device answered during the agent greeting; bridged when it ends")
		return nil
	}
	x.answered = false
	if err := c.sess.AddToBridge(c.ctx, c.callBridge, x.channel); err != nil {
		c.log.Error("bridge device", "err", err)
		c.hangupChannel(x.channel, "normal")
		return c.onDeviceGone("could not be bridged")
	}
	c.deviceUp = true
	c.state.Device = x.current.Device.ID
	if c.req.Mode == ModeHoldSlayer {
		c.stopListening()
	}
	c.emit(EventTransferComplete, map[string]any{"device": x.current.Device.Name, "device_id": x.current.Device.ID, "bridge_id": c.callBridge})
	if c.req.Mode == ModeHoldSlayer {
		c.setStatus(StatusTransferred)
	} else {
		c.publish()
		c.store()
	}
	return nil
}

// cancelTransfer stops ringing devices, e.g. because the "human" turned out to be hold.
func (c *call) cancelTransfer(why string) {
	x := c.xfer
	if x == nil || c.deviceUp {
		return
	}
	c.hangupChannel(x.channel, "normal")
	stopTimer(&c.devTimer)
	c.xfer = nil
	c.emit(EventTransferFailed, map[string]any{"reason": why, "devices_tried": x.tried, "agent_kept": false, "message": "transfer cancelled: " + why})
}

// connectCaller moves the user's own waiting channel (dialplan entry) into the call bridge.
func (c *call) connectCaller() error {
	prev := c.state.Status
	c.setStatus(StatusTransferring)
	c.emit(EventTransferStarted, map[string]any{"device": "caller", "channel_id": c.inboundCh, "from_call_id": c.id})
	if err := c.sess.StopMOH(c.ctx, c.holdBridge); err != nil {
		c.log.Debug("stop music for the caller", "err", err)
	}
	err := c.sess.RemoveFromBridge(c.ctx, c.holdBridge, c.inboundCh)
	if err == nil {
		err = c.sess.AddToBridge(c.ctx, c.callBridge, c.inboundCh)
	}
	if err != nil {
		err = fmt.Errorf("move caller into call bridge: %w", err)
		c.log.Error("connect caller", "err", err)
		if merr := c.sess.AddToBridge(c.ctx, c.holdBridge, c.inboundCh); merr == nil {
			_ = c.sess.StartMOH(c.ctx, c.holdBridge)
		}
		c.emit(EventTransferFailed, map[string]any{"reason": err.Error(), "devices_tried": []string{"caller"}, "agent_kept": true, "message": "the caller could not be connected; the agent is kept on the line"})
		if prev == StatusNavigating || prev == StatusConnected {
			prev = StatusHumanDetected
		}
		c.setStatus(prev)
		return err
	}
	c.deviceUp = true
	c.stopListening()
	c.emit(EventTransferComplete, map[string]any{"device": "caller", "bridge_id": c.callBridge})
	c.setStatus(StatusTransferred)
	return nil
}
