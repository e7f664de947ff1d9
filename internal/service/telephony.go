package service

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/navigator"
	"github.com/holdslayer/holdslayer/app/pilot"
	"github.com/holdslayer/holdslayer/app/speech"
	"github.com/holdslayer/holdslayer/ari"
	"github.com/holdslayer/holdslayer/ari/aritest"
	"github.com/holdslayer/holdslayer/classifier"
)

// Demo credentials of the in-process simulated Asterisk; it listens on loopback only.
const (
	simUser     = "holdslayer"
	simPassword = "holdslayer"
	// simDevice is the simulated user phone; it answers after two rings.
	simDevice = "robert"
)

// openCalls connects the call engine to Asterisk over ARI. Without an ARI URL (or with
// --simulate) it starts the simulated Asterisk in-process with three sample companies, so
// `make run` shows whole calls with no SIP trunk.
func (svc *Service) openCalls(ctx context.Context) error {
	ariURL, user, password := svc.cfg.ARIURL, svc.cfg.ARIUser, svc.cfg.ARIPassword
	var sim *aritest.Server
	if ariURL == "" || svc.cfg.Simulate {
		var err error
		if sim, err = svc.startSimulation(ctx); err != nil {
			return err
		}
		ariURL, user, password = sim.URL(), simUser, simPassword
	}
	adapter, err := ari.New(ctx, ari.Options{
		URL:       ariURL,
		User:      user,
		Password:  password,
		App:       svc.cfg.ARIApp,
		MediaHost: svc.cfg.MediaHost,
		Clock:     svc.clock,
		Log:       svc.log,
	})
	if err != nil {
		return fmt.Errorf("connect to asterisk at %s: %w", ariURL, err)
	}
	svc.closers = append(svc.closers, adapter.Close)

	ecfg := app.EngineConfig{
		PBX:           adapter,
		Store:         svc.store,
		Bus:           svc.bus,
		Clock:         svc.clock,
		Log:           svc.log.With("component", "engine"),
		DialTemplate:  svc.cfg.DialTemplate,
		Policy:        app.DialPolicy{HomeCountryCode: svc.cfg.HomeCountry, AllowInternational: svc.cfg.AllowIntl},
		Limits:        svc.limits(),
		RecordingsDir: svc.cfg.RecordingsDir,
		Analyzer:      app.NewClassifierAnalyzer(classifier.Config{}),
	}
	if err := svc.speechAndNavigation(&ecfg, sim); err != nil {
		return err
	}
	eng := app.NewEngine(ecfg)
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := eng.Run(runCtx); err != nil {
			svc.log.Error("dialplan entry stopped", "err", err)
		}
	}()
	svc.closers = append(svc.closers, func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := eng.Shutdown(sctx)
		stop()
		<-done
		return err
	})
	svc.calls = eng
	return nil
}

// limits are the engine's limits: the injected ones, with the configured concurrency.
func (svc *Service) limits() app.Limits {
	l := svc.opts.Limits
	if l.MaxConcurrentCalls == 0 {
		l.MaxConcurrentCalls = svc.cfg.MaxCalls
	}
	return l
}

// speechAndNavigation gives the engine its ears, mouth and judgement. With an OpenAI-compatible
// key: transcription and LLM navigation there. Without one, against the simulated Asterisk:
// its closed-vocabulary recogniser, so the demo shows transcripts; against a real Asterisk:
// no transcription (hold and human detection work from the audio alone) and the keyword
// matcher only. Speech out is espeak-ng.
func (svc *Service) speechAndNavigation(ecfg *app.EngineConfig, sim *aritest.Server) error {
	log := svc.log.With("component", "speech")
	sttKey, sttURL := svc.cfg.OpenAIAPIKey, svc.cfg.OpenAIBaseURL
	switch {
	case svc.opts.STTBaseURL != "":
		sttURL = svc.opts.STTBaseURL
		if sttKey == "" {
			sttKey = "simulated"
		}
	case sttKey == "" && sim != nil:
		sttKey, sttURL = "simulated", sim.STTBaseURL()
	}
	if sttKey != "" {
		stt, err := speech.NewOpenAISTT(speech.STTConfig{APIKey: sttKey, BaseURL: sttURL, Model: svc.cfg.STTModel, Logger: log})
		if err != nil {
			return fmt.Errorf("speech-to-text: %w", err)
		}
		ecfg.STT = stt
	} else {
		log.Warn("no HOLDSLAYER_OPENAI_API_KEY: no transcripts; hold and human detection use the audio alone")
	}
	espeak := speech.NewEspeak(speech.EspeakConfig{})
	if err := espeak.Available(); err != nil {
		log.Warn("Hold Slayer cannot speak (spoken menus, live check, agent greeting)", "err", err)
	} else {
		ecfg.TTS = espeak
	}
	var llm *navigator.LLMNavigator
	if svc.cfg.OpenAIAPIKey != "" {
		var err error
		llm, err = navigator.NewLLMNavigator(navigator.LLMConfig{APIKey: svc.cfg.OpenAIAPIKey,
			BaseURL: svc.cfg.OpenAIBaseURL, Model: svc.cfg.LLMModel, Logger: svc.log.With("component", "llm")})
		if err != nil {
			return fmt.Errorf("llm navigator: %w", err)
		}
	}
	ecfg.Navigator = pilot.New(pilot.Config{LLM: llm})
	ecfg.DisableLiveCheck = !svc.cfg.LiveCheck
	ecfg.AgentGreeting = svc.cfg.AgentGreeting
	return nil
}

// startSimulation runs the simulated Asterisk on a loopback port and makes sure the demo has
// a device to transfer to.
func (svc *Service) startSimulation(ctx context.Context) (*aritest.Server, error) {
	scenarios := svc.opts.Scenarios
	if scenarios == nil {
		scenarios = aritest.DemoScenarios()
	}
	devices := svc.opts.Devices
	if devices == nil {
		devices = map[string]aritest.DeviceBehavior{
			simDevice: {Mode: aritest.DeviceAnswers, Rings: 2, Greeting: "Hello?"},
		}
	}
	sim, err := aritest.New(aritest.Options{
		Addr:      "127.0.0.1:0",
		User:      simUser,
		Password:  simPassword,
		Clock:     svc.clock,
		Scenarios: scenarios,
		Devices:   devices,
		SoundsDir: filepath.Join(svc.cfg.DataDir, "sounds"),
		Log:       svc.log.With("component", "simulated-asterisk"),
	})
	if err != nil {
		return nil, fmt.Errorf("start the simulated asterisk: %w", err)
	}
	svc.closers = append(svc.closers, sim.Close)
	svc.sim = sim
	if err := svc.ensureDemoDevice(ctx); err != nil {
		return nil, err
	}
	svc.log.Warn("no Asterisk configured (HOLDSLAYER_ARI_URL): running against the simulated Asterisk",
		"ari", sim.URL())
	for _, line := range demoBanner(scenarios) {
		svc.log.Info(line)
	}
	return sim, nil
}

// ensureDemoDevice registers the simulated phone once, so a transfer has somewhere to ring.
func (svc *Service) ensureDemoDevice(ctx context.Context) error {
	devs, err := svc.store.ListDevices(ctx)
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	for _, d := range devs {
		if d.Endpoint == "PJSIP/"+simDevice {
			return nil
		}
	}
	d := app.Device{Name: "Demo phone (simulated)", Type: "sip_phone", Endpoint: "PJSIP/" + simDevice,
		SIPURI: "sip:" + simDevice + "@demo.invalid", Priority: 10, Capabilities: []string{"voice"}}
	if err := svc.store.CreateDevice(ctx, &d); err != nil && !errors.Is(err, app.ErrConflict) {
		return fmt.Errorf("register the demo device: %w", err)
	}
	return nil
}

// demoBanner tells a newcomer what they can call.
func demoBanner(scenarios map[string]*aritest.Scenario) []string {
	var nums []string
	for n := range scenarios {
		if strings.HasPrefix(n, "+") {
			nums = append(nums, n)
		}
	}
	sort.Strings(nums)
	lines := []string{"demo companies (try: curl -X POST localhost:8000/api/calls/hold-slayer -d '{\"number\":\"" + nums[0] + "\",\"intent\":\"talk to a person\"}')"}
	for _, n := range nums {
		lines = append(lines, fmt.Sprintf("  %s  %s", n, scenarios[n].Name))
	}
	lines = append(lines, "  simulated user phone: PJSIP/"+simDevice+" (answers after two rings)")
	return lines
}
