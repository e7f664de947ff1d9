package app

import (
	"context"
	"io"
	"time"
)

// PBX is the telephony switch as the engine sees it: a real Asterisk over ARI in production,
// the simulated Asterisk (ari/aritest) in tests and the demo. The adapter in ari/ satisfies it.
type PBX interface {
	// Open starts the PBX side of one call. Everything created through the session (channels,
	// snoops, bridges, media) is tracked by it and torn down by Session.Close.
	Open(ctx context.Context, callID string) (Session, error)
	// Inbound delivers channels that entered the app from the dialplan, e.g. a user's phone
	// dialling *88<number> which runs Stasis(holdslayer,dial,<number>[,<flow id>]).
	Inbound() <-chan InboundCall
	// EndpointOnline reports whether a device endpoint (e.g. PJSIP/robert) is reachable now.
	EndpointOnline(ctx context.Context, endpoint string) (bool, error)
	// Ready reports whether the PBX connection is up, for /readyz and for refusing new calls.
	Ready() bool
}

// InboundCall is a channel the dialplan handed to the app.
type InboundCall struct {
	ChannelID string
	// Args are the Stasis application arguments, e.g. ["dial", "+18005551234", "flow_id"].
	Args     []string
	CallerID string
}

// BridgeKind selects Asterisk's bridge type.
type BridgeKind string

// Bridge kinds the engine uses.
const (
	BridgeMixing  BridgeKind = "mixing"
	BridgeHolding BridgeKind = "holding"
)

// OriginateOptions are the optional parts of dialling out.
type OriginateOptions struct {
	CallerID string
	Timeout  time.Duration // ring timeout; zero means the PBX default
	// Variables are channel variables set on the new channel.
	Variables map[string]string
}

// RecordTarget says what a recording captures: a bridge (the mixed call) or a channel.
type RecordTarget struct {
	BridgeID  string
	ChannelID string
}

// Session is the PBX side of one call. All methods are safe to call from the call's goroutine;
// events for every resource of the session arrive, in order, on Events.
type Session interface {
	// Events delivers the session's PBX events; it is closed after Close.
	Events() <-chan PBXEvent
	// Originate dials endpoint into the app. It returns as soon as the PBX accepted the
	// request; PBXAnswered or PBXHangup for the returned channel id follow as events.
	Originate(ctx context.Context, endpoint string, opts OriginateOptions) (channelID string, err error)
	// Adopt takes an existing channel (an inbound call) into the session.
	Adopt(ctx context.Context, channelID string) error
	Answer(ctx context.Context, channelID string) error
	// Hangup ends a channel; reason is an ARI hangup reason such as "normal" or "busy".
	Hangup(ctx context.Context, channelID, reason string) error
	// SendDTMF plays keypad digits to the far end of channelID.
	SendDTMF(ctx context.Context, channelID, digits string) error
	CreateBridge(ctx context.Context, kind BridgeKind) (bridgeID string, err error)
	AddToBridge(ctx context.Context, bridgeID, channelID string) error
	RemoveFromBridge(ctx context.Context, bridgeID, channelID string) error
	DestroyBridge(ctx context.Context, bridgeID string) error
	StartMOH(ctx context.Context, bridgeID string) error
	StopMOH(ctx context.Context, bridgeID string) error
	// Listen taps what channelID hears from the far end (snoop spy=in, its own bridge and an
	// externalMedia channel) and delivers it as 20 ms PCM frames.
	Listen(ctx context.Context, channelID string) (AudioSource, error)
	// Speaker adds a channel to bridgeID through which the service can speak into the call.
	Speaker(ctx context.Context, bridgeID string) (AudioSink, error)
	StartRecording(ctx context.Context, target RecordTarget, name string) error
	// StopRecording stops a live recording; PBXRecordingFinished follows as an event.
	StopRecording(ctx context.Context, name string) error
	// FetchRecording copies a stored recording (8 kHz 16-bit WAV) into w.
	FetchRecording(ctx context.Context, name string, w io.Writer) (int64, error)
	// Close hangs up every channel and destroys every bridge the session still owns. It is
	// idempotent and must work after the caller's context is cancelled.
	Close(ctx context.Context) error
}

// PBXEventKind classifies what the PBX told us.
type PBXEventKind int

// PBX event kinds.
const (
	// PBXRinging: the far end of an originated channel is ringing.
	PBXRinging PBXEventKind = iota + 1
	// PBXAnswered: the far end answered and the channel entered the app (StasisStart).
	PBXAnswered
	// PBXHangup: the channel is gone; Cause and Reason say why.
	PBXHangup
	// PBXDTMF: a keypad digit was received from the channel.
	PBXDTMF
	// PBXRecordingFinished: a recording stopped and its file is stored.
	PBXRecordingFinished
	// PBXRecordingFailed: a recording could not be made.
	PBXRecordingFailed
	// PBXDisconnected: the PBX connection dropped; channels may or may not survive.
	PBXDisconnected
	// PBXReconnected: the connection is back and the session's channels were reconciled;
	// lost ones have been reported as PBXHangup with Reason "asterisk_restart".
	PBXReconnected
)

// PBXEvent is one thing the PBX reported about a session's resources.
type PBXEvent struct {
	Kind      PBXEventKind
	ChannelID string
	// Cause is the Q.850 hangup cause (16 normal, 17 busy, 19 no answer, 34 congestion ...).
	Cause int
	// Reason is a short machine-readable reason, e.g. "normal", "busy", "asterisk_restart".
	Reason string
	Digit  string
	// Recording fields.
	Name     string
	Duration time.Duration
	At       time.Time
}

// AudioFrame is 20 ms of mono 16-bit PCM.
type AudioFrame struct {
	Samples []int16
	// Filled is true when no packet arrived for this slot and the frame is synthesised silence.
	Filled bool
}

// AudioSource is a stream of what the far end says, paced by the clock: a frame arrives every
// 20 ms even while the PBX sends nothing.
type AudioSource interface {
	Frames() <-chan AudioFrame
	SampleRate() int
	Close() error
}

// AudioSink sends audio into a call.
type AudioSink interface {
	// Play sends mono 16-bit PCM at rate Hz, paced in real time; it returns when all of it was
	// sent or ctx ends.
	Play(ctx context.Context, samples []int16, rate int) error
	Close() error
}
