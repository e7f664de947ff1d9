package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/holdslayer/holdslayer/app/clock"
	"github.com/holdslayer/holdslayer/app/speech"
)

// EngineConfig is everything the engine is built from; main fills it from configuration.
type EngineConfig struct {
	PBX   PBX
	Store Store
	Bus   *Bus
	Clock clock.Clock // nil means the real clock
	Log   *slog.Logger
	// DialTemplate turns a number into an endpoint; empty means DefaultDialTemplate.
	DialTemplate string
	Policy       DialPolicy
	Limits       Limits
	// RecordingsDir receives fetched recordings as <dir>/<call_id>/<name>.wav.
	RecordingsDir string
	// LocalEndpoints are the PJSIP endpoint names of the user's own phones: a device whose
	// sip_uri user is one of them is dialled as PJSIP/<user> rather than through the trunk.
	LocalEndpoints []string
	// Analyzer builds the audio analyzer of each listening call; nil means no listening
	// (hold and human detection then never fire).
	Analyzer AnalyzerFactory
	// Judge confirms human candidates before a transfer; nil accepts every candidate.
	Judge HumanJudge

	// STT transcribes the company's utterances (speech.NewOpenAISTT); nil means no
	// transcripts, and navigation then replays flows from audio alone.
	STT Transcriber
	// TTS gives the service a voice in the call (speech.NewEspeak by default in main); nil
	// means SPEAK steps, the live check and the agent greeting are skipped.
	TTS speech.Synthesizer
	// Navigator builds each hold_slayer call's navigator (pilot.New); it needs STT.
	Navigator NavigatorFactory
	// DisableLiveCheck turns off asking "are you a live representative?" before ringing.
	DisableLiveCheck bool
	// LiveCheckPhrase replaces DefaultLiveCheckPhrase; LiveCheckWait DefaultLiveCheckWait.
	LiveCheckPhrase string
	LiveCheckWait   time.Duration
	// JudgeWindow is how long the transcript layer waits for a candidate's words
	// (DefaultJudgeWindow).
	JudgeWindow time.Duration
	// AgentGreeting is said to the confirmed person before the user's phone rings;
	// empty means DefaultAgentGreeting.
	AgentGreeting string
}

// Engine runs live calls: it keeps the registry, applies policy and limits, and starts one
// goroutine per call. It implements Calls for the API and MCP.
type Engine struct {
	cfg    EngineConfig
	clk    clock.Clock
	log    *slog.Logger
	limits Limits
	policy *policy

	ctx    context.Context // parent of every call; cancelled by Shutdown
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	calls   map[string]*call
	closing bool
	wg      sync.WaitGroup
}

var _ Calls = (*Engine)(nil)

// errShutdown is the cancel cause of calls ended because the service stops.
var errShutdown = errors.New("shutdown")

// NewEngine returns an engine ready to place calls; Run serves dialplan entries.
func NewEngine(cfg EngineConfig) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Bus == nil {
		cfg.Bus = NewBus(cfg.Store, cfg.Log)
	}
	if cfg.DialTemplate == "" {
		cfg.DialTemplate = DefaultDialTemplate
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Engine{
		cfg:    cfg,
		clk:    cfg.Clock,
		log:    cfg.Log,
		limits: cfg.Limits.withDefaults(),
		policy: newPolicy(cfg.Policy),
		ctx:    ctx,
		cancel: cancel,
		calls:  make(map[string]*call),
	}
}

// Run serves calls that enter from the dialplan until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	in := e.cfg.PBX.Inbound()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ic, ok := <-in:
			if !ok {
				return nil
			}
			e.inbound(ctx, ic)
		}
	}
}

// Shutdown ends every live call (reason "shutdown") and waits for their teardown or ctx.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.closing = true
	e.mu.Unlock()
	e.cancel(errShutdown)
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("engine shutdown: calls still tearing down: %w", ctx.Err())
	}
}

// Ready reports whether calls can be placed now.
func (e *Engine) Ready() bool {
	e.mu.Lock()
	closing := e.closing
	e.mu.Unlock()
	return !closing && e.cfg.PBX.Ready()
}

// Place validates req, applies the dial policy and limits, stores the call and starts it.
func (e *Engine) Place(ctx context.Context, req CallRequest) (Call, error) {
	if req.Mode == "" {
		req.Mode = ModeHoldSlayer
	}
	if !req.Mode.Valid() {
		return Call{}, fmt.Errorf("mode must be direct, hold_slayer or ai_assisted, got %q: %w", req.Mode, ErrInvalid)
	}
	if err := ValidateNumber(req.Number); err != nil {
		return Call{}, err
	}
	if err := e.policy.check(req.Number); err != nil {
		return Call{}, err
	}
	if !e.cfg.PBX.Ready() {
		return Call{}, fmt.Errorf("no telephony backend connected: %w", ErrUnavailable)
	}
	var flow *CallFlow
	if req.Mode == ModeHoldSlayer {
		f, err := e.findFlow(ctx, req)
		if err != nil {
			return Call{}, err
		}
		flow = f
	}
	if req.Device != "" {
		d, err := e.findDevice(ctx, req.Device)
		if err != nil {
			return Call{}, err
		}
		req.Device = d.ID
	}
	if req.Mode != ModeHoldSlayer && req.InboundChannel == "" {
		if _, err := e.deviceCandidates(ctx, req.Device); err != nil {
			return Call{}, err
		}
	}

	id := "call_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		return Call{}, fmt.Errorf("service is shutting down: %w", ErrUnavailable)
	}
	if len(e.calls) >= e.limits.MaxConcurrentCalls {
		e.mu.Unlock()
		return Call{}, fmt.Errorf("too many concurrent calls (limit %d): %w", e.limits.MaxConcurrentCalls, ErrUnavailable)
	}
	c := newCall(e, id, req, flow)
	e.calls[id] = c // reserves the slot
	e.mu.Unlock()

	fail := func(err error) (Call, error) {
		e.mu.Lock()
		delete(e.calls, id)
		e.mu.Unlock()
		return Call{}, err
	}
	if err := e.cfg.Store.CreateCall(ctx, &c.state); err != nil {
		return fail(fmt.Errorf("store call %s: %w", id, err))
	}
	sess, err := e.cfg.PBX.Open(context.WithoutCancel(ctx), id)
	if err != nil {
		now := e.clk.Now()
		c.state.Status, c.state.EndReason, c.state.EndedAt = StatusFailed, "pbx_unavailable", &now
		if uerr := e.cfg.Store.UpdateCall(context.WithoutCancel(ctx), &c.state); uerr != nil {
			e.log.Error("store failed call", "call_id", id, "err", uerr)
		}
		return fail(fmt.Errorf("open telephony session for %s: %v: %w", id, err, ErrUnavailable))
	}
	c.sess = sess
	c.emit(EventCallStarted, map[string]any{"number": req.Number, "mode": string(req.Mode), "intent": req.Intent})
	snap := c.publish()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		c.run()
	}()
	return snap, nil
}

// Get returns a live call's snapshot or the stored record.
func (e *Engine) Get(ctx context.Context, id string) (Call, error) {
	if c := e.live(id); c != nil {
		return c.snapshot(), nil
	}
	got, err := e.cfg.Store.GetCall(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Call{}, fmt.Errorf("call not found: %s: %w", id, ErrNotFound)
		}
		return Call{}, fmt.Errorf("get call %s: %w", id, err)
	}
	return got, nil
}

// Active lists live calls, oldest first.
func (e *Engine) Active(context.Context) []Call {
	e.mu.Lock()
	live := make([]*call, 0, len(e.calls))
	for _, c := range e.calls {
		live = append(live, c)
	}
	e.mu.Unlock()
	out := make([]Call, 0, len(live))
	for _, c := range live {
		if s := c.snapshot(); !s.Status.Terminal() {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Call) int { return a.StartedAt.Compare(b.StartedAt) })
	return out
}

// Hangup ends a live call; an ended call is a conflict, an unknown one not found.
func (e *Engine) Hangup(ctx context.Context, id string) error {
	return e.command(ctx, id, command{kind: cmdHangup})
}

// Transfer connects a live call to a device now (id, name or type; empty = best online).
func (e *Engine) Transfer(ctx context.Context, id, device string) error {
	cmd := command{kind: cmdTransfer}
	if device != "" {
		d, err := e.findDevice(ctx, device)
		if err != nil {
			return err
		}
		cmd.device = d.ID
	}
	return e.command(ctx, id, cmd)
}

// SendDTMF plays digits to the company on a live call.
func (e *Engine) SendDTMF(ctx context.Context, id, digits string) error {
	if err := ValidateDTMF(digits); err != nil {
		return err
	}
	return e.command(ctx, id, command{kind: cmdDTMF, digits: digits})
}

func (e *Engine) live(id string) *call {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[id]
}

// command delivers cmd to the call's goroutine and waits for its answer.
func (e *Engine) command(ctx context.Context, id string, cmd command) error {
	c := e.live(id)
	if c == nil {
		got, err := e.cfg.Store.GetCall(ctx, id)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("call not found: %s: %w", id, ErrNotFound)
			}
			return fmt.Errorf("get call %s: %w", id, err)
		}
		if got.Status.Terminal() {
			return fmt.Errorf("call already ended: %s: %w", id, ErrConflict)
		}
		// Stored as live but not ours: a previous process left it behind.
		return fmt.Errorf("call %s is not running in this process: %w", id, ErrConflict)
	}
	cmd.reply = make(chan error, 1)
	select {
	case c.cmds <- cmd:
	case <-c.ended:
		return fmt.Errorf("call already ended: %s: %w", id, ErrConflict)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-cmd.reply:
		if err != nil || cmd.kind != cmdHangup {
			return err
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	// A hangup returns once the call is torn down, so a Get right after it says "ended".
	select {
	case <-c.ended:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// findFlow returns the flow a hold_slayer call follows: the one asked for, or the best stored
// flow for the number, or nil.
func (e *Engine) findFlow(ctx context.Context, req CallRequest) (*CallFlow, error) {
	if req.CallFlowID != "" {
		f, err := e.cfg.Store.GetFlow(ctx, req.CallFlowID)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("call flow not found: %s: %w", req.CallFlowID, ErrNotFound)
			}
			return nil, fmt.Errorf("get call flow %s: %w", req.CallFlowID, err)
		}
		return &f, nil
	}
	flows, err := e.cfg.Store.ListFlows(ctx, FlowFilter{PhoneNumber: req.Number})
	if err != nil {
		return nil, fmt.Errorf("list call flows for %s: %w", req.Number, err)
	}
	var best *CallFlow
	for i := range flows {
		f := &flows[i]
		if f.PhoneNumber != req.Number || len(f.Steps) == 0 {
			continue
		}
		if best == nil || f.SuccessCount-f.FailCount > best.SuccessCount-best.FailCount {
			best = f
		}
	}
	return best, nil
}

// findDevice resolves a device by id, then name, then type (highest priority first).
func (e *Engine) findDevice(ctx context.Context, ref string) (Device, error) {
	if d, err := e.cfg.Store.GetDevice(ctx, ref); err == nil {
		return d, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Device{}, fmt.Errorf("get device %s: %w", ref, err)
	}
	devs, err := e.cfg.Store.ListDevices(ctx)
	if err != nil {
		return Device{}, fmt.Errorf("list devices: %w", err)
	}
	sortDevices(devs)
	for _, d := range devs {
		if strings.EqualFold(d.Name, ref) {
			return d, nil
		}
	}
	for _, d := range devs {
		if strings.EqualFold(d.Type, ref) {
			return d, nil
		}
	}
	return Device{}, fmt.Errorf("device not found: %s: %w", ref, ErrNotFound)
}

func sortDevices(devs []Device) {
	slices.SortStableFunc(devs, func(a, b Device) int { return cmp.Compare(b.Priority, a.Priority) })
}

// deviceTarget is one device a transfer may ring, with its dial string.
type deviceTarget struct {
	Device   Device
	Endpoint string
}

// deviceCandidates lists the devices a transfer tries, in order: the asked one first (online
// or not: the user chose it), then every online device by priority.
func (e *Engine) deviceCandidates(ctx context.Context, asked string) ([]deviceTarget, error) {
	devs, err := e.cfg.Store.ListDevices(ctx)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	sortDevices(devs)
	var out []deviceTarget
	for _, d := range devs {
		if d.ID != asked {
			continue
		}
		ep, err := deviceEndpoint(d, e.cfg.DialTemplate, e.cfg.LocalEndpoints)
		if err != nil {
			return nil, err
		}
		out = append(out, deviceTarget{Device: d, Endpoint: ep})
	}
	for _, d := range devs {
		if d.ID == asked {
			continue
		}
		ep, err := deviceEndpoint(d, e.cfg.DialTemplate, e.cfg.LocalEndpoints)
		if err != nil {
			e.log.Warn("device cannot be dialled", "device", d.ID, "err", err)
			continue
		}
		online, err := e.cfg.PBX.EndpointOnline(ctx, ep)
		if err != nil {
			e.log.Warn("device state unknown", "device", d.ID, "endpoint", ep, "err", err)
			continue
		}
		if online {
			out = append(out, deviceTarget{Device: d, Endpoint: ep})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no device online to connect the call to: %w", ErrUnavailable)
	}
	return out, nil
}

// inbound starts a hold_slayer call for a channel the dialplan handed us:
// Stasis(holdslayer,dial,<number>[,<call_flow_id>]).
func (e *Engine) inbound(ctx context.Context, ic InboundCall) {
	log := e.log.With("channel_id", ic.ChannelID, "caller_id", ic.CallerID)
	req, err := parseInboundArgs(ic)
	if err == nil {
		var c Call
		c, err = e.Place(ctx, req)
		if err == nil {
			log.Info("dialplan call started", "call_id", c.ID, "number", req.Number)
			return
		}
	}
	log.Warn("dialplan call refused", "args", ic.Args, "err", err)
	e.refuseInbound(ctx, ic, err)
}

func parseInboundArgs(ic InboundCall) (CallRequest, error) {
	if len(ic.Args) < 2 || ic.Args[0] != "dial" {
		return CallRequest{}, fmt.Errorf("dialplan arguments must be dial,<number>[,<flow>], got %q: %w", ic.Args, ErrInvalid)
	}
	req := CallRequest{Number: strings.TrimSpace(ic.Args[1]), Mode: ModeHoldSlayer, InboundChannel: ic.ChannelID}
	if len(ic.Args) > 2 {
		req.CallFlowID = strings.TrimSpace(ic.Args[2])
	}
	return req, nil
}

// refuseInbound hangs up a dialplan channel the engine will not serve, so the caller hears a
// fast busy instead of silence.
func (e *Engine) refuseInbound(ctx context.Context, ic InboundCall, why error) {
	reason := "congestion"
	if errors.Is(why, ErrForbidden) || errors.Is(why, ErrInvalid) {
		reason = "normal"
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer cancel()
	sess, err := e.cfg.PBX.Open(ctx, "refused-"+ic.ChannelID)
	if err != nil {
		e.log.Error("refuse dialplan call", "channel_id", ic.ChannelID, "err", err)
		return
	}
	defer func() {
		go func() {
			for range sess.Events() {
			}
		}()
		if err := sess.Close(ctx); err != nil {
			e.log.Error("close refused session", "channel_id", ic.ChannelID, "err", err)
		}
	}()
	if err := sess.Adopt(ctx, ic.ChannelID); err != nil {
		e.log.Error("adopt refused channel", "channel_id", ic.ChannelID, "err", err)
		return
	}
	if err := sess.Hangup(ctx, ic.ChannelID, reason); err != nil {
		e.log.Error("hang up refused channel", "channel_id", ic.ChannelID, "err", err)
	}
}
