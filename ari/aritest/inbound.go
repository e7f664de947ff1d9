package aritest

import (
	"fmt"
	"strings"
)

// CallIn starts a call from a simulated user phone (PJSIP/<device>, one of Options.Devices)
// into the dialplan, which hands it to Stasis(app, args...), as the *88<number> entry of
// asterisk-config/extensions.conf does with args "dial", <number>[, <flow id>]. It returns the
// new channel's id. What the phone hears is kept for DeviceHeard(device).
//
// The channel is presented already answered (state Up): the simulation's answer is a no-op,
// so a channel left ringing would never carry audio.
func (s *Server) CallIn(device, app string, args ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.opts.Devices[device]
	if !ok || b.Mode == DeviceOffline {
		return "", fmt.Errorf("call in from %s: no such online device", device)
	}
	if !s.appRegistered(app) {
		return "", fmt.Errorf("call in from %s: application %s is not registered", device, app)
	}
	s.localSeq++
	exten := "*88" + strings.Join(args[min(1, len(args)):], "*")
	c := &channel{
		id: s.newID(), name: fmt.Sprintf("PJSIP/%s-%08x", device, s.localSeq), kind: kindPJSIP,
		state: "Up", created: s.now(), caller: party{Name: device, Number: device},
		vars: map[string]string{}, apps: map[string]bool{app: true},
		dp: dialplan{Context: "from-internal", Exten: exten, Priority: 1},
	}
	c.far = newDevice(device, DeviceBehavior{Mode: DeviceAnswers}, s)
	s.channels[c.id] = c
	s.enterStasisLocked(c, app, append([]string(nil), args...))
	return c.id, nil
}
