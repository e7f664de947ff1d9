package speech

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/holdslayer/holdslayer/app/audio"
)

// Synthesizer turns text into mono 16-bit PCM; the engine plays the result through
// app.AudioSink.Play(ctx, pcm, rate).
type Synthesizer interface {
	Synthesize(ctx context.Context, text string) (pcm []int16, rate int, err error)
}

// Compile-time checks that both backends satisfy Synthesizer.
var (
	_ Synthesizer = (*Espeak)(nil)
	_ Synthesizer = (*OpenAITTS)(nil)
)

// maxTTSText bounds what is sent to a voice: prompts on a phone call are short.
const maxTTSText = 4000

// EspeakConfig configures the local espeak-ng voice. Zero fields take defaults.
type EspeakConfig struct {
	Binary  string        // default "espeak-ng" (Debian package espeak-ng)
	Voice   string        // default "en-us"
	Speed   int           // words per minute, default 160
	Pitch   int           // 0..99, 0 = espeak's default
	Rate    int           // output rate; 0 keeps espeak's native 22050 Hz
	Timeout time.Duration // default 10 s
}

// Espeak synthesizes with the espeak-ng command-line program: robotic but local, free and
// always available, the default voice.
type Espeak struct{ cfg EspeakConfig }

// NewEspeak returns an espeak-ng voice; it does not check that the binary exists (Available does).
func NewEspeak(cfg EspeakConfig) *Espeak {
	if cfg.Binary == "" {
		cfg.Binary = "espeak-ng"
	}
	if cfg.Voice == "" {
		cfg.Voice = "en-us"
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 160
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Espeak{cfg: cfg}
}

// Available reports whether the espeak-ng binary can be found, for start-up checks.
func (e *Espeak) Available() error {
	if _, err := exec.LookPath(e.cfg.Binary); err != nil {
		return fmt.Errorf("espeak-ng: %w: %w", ErrTTSUnavailable, err)
	}
	return nil
}

// Synthesize runs espeak-ng with the text on stdin (never on the command line, so text
// that starts with "-" cannot be read as an option) and decodes the WAV it writes.
func (e *Espeak) Synthesize(ctx context.Context, text string) ([]int16, int, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, 0, fmt.Errorf("espeak synthesize: empty text: %w", ErrBadAudio)
	}
	if len(text) > maxTTSText {
		text = text[:maxTTSText]
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	args := []string{"--stdout", "--stdin", "-v", e.cfg.Voice, "-s", strconv.Itoa(e.cfg.Speed)}
	if e.cfg.Pitch > 0 {
		args = append(args, "-p", strconv.Itoa(e.cfg.Pitch))
	}
	cmd := exec.CommandContext(ctx, e.cfg.Binary, args...)
	cmd.Stdin = strings.NewReader(text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, 0, fmt.Errorf("espeak synthesize: %w: %w", ErrTTSUnavailable, err)
		}
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("espeak synthesize: %w", ctx.Err())
		}
		return nil, 0, fmt.Errorf("espeak synthesize: %w: %w (%s)", ErrTTSUnavailable, err, strings.TrimSpace(stderr.String()))
	}
	p, err := decodeWAV(out)
	if err != nil {
		return nil, 0, fmt.Errorf("espeak synthesize: %w", err)
	}
	if len(p.Samples) == 0 {
		return nil, 0, fmt.Errorf("espeak synthesize: no audio for %q: %w", text, ErrTTSUnavailable)
	}
	return convertRate(p, e.cfg.Rate)
}

func convertRate(p audio.PCM, to int) ([]int16, int, error) {
	if to <= 0 || to == p.Rate {
		return p.Samples, p.Rate, nil
	}
	return audio.Resample(p.Samples, p.Rate, to), to, nil
}

// OpenAI speech defaults.
const (
	DefaultTTSModel = "gpt-4o-mini-tts"
	DefaultTTSVoice = "alloy"
	// openAIPCMRate is the rate of the API's raw "pcm" format (24 kHz, 16-bit LE, mono).
	openAIPCMRate = 24000
)

// OpenAITTSConfig configures OpenAI (or compatible) speech. Zero fields take defaults.
type OpenAITTSConfig struct {
	APIKey  string
	BaseURL string
	Model   string  // default gpt-4o-mini-tts
	Voice   string  // default alloy
	Format  string  // "wav" (default) or "pcm"
	Speed   float64 // 0.25..4, 0 = server default
	// Instructions steer the voice ("calm, clear, speaking on a phone line").
	Instructions string
	Rate         int // output rate; 0 keeps the server's
	Timeout      time.Duration
	Retries      int
	Backoff      time.Duration
	MaxBackoff   time.Duration
	HTTPClient   *http.Client
	Logger       *slog.Logger
}

// OpenAITTS synthesizes through an OpenAI-compatible /audio/speech endpoint.
type OpenAITTS struct {
	cfg    OpenAITTSConfig
	svc    openai.AudioSpeechService
	policy retryPolicy
	log    *slog.Logger
}

// NewOpenAITTS builds a speech client from cfg alone (no environment defaults).
func NewOpenAITTS(cfg OpenAITTSConfig) (*OpenAITTS, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Model == "" {
		cfg.Model = DefaultTTSModel
	}
	if cfg.Voice == "" {
		cfg.Voice = DefaultTTSVoice
	}
	switch cfg.Format {
	case "":
		cfg.Format = "wav"
	case "wav", "pcm":
	default:
		return nil, fmt.Errorf("new openai tts: format %q: want wav or pcm", cfg.Format)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &OpenAITTS{
		cfg:    cfg,
		svc:    openai.NewAudioSpeechService(clientOptions(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient)...),
		policy: retryPolicy{service: "tts", timeout: cfg.Timeout, retries: max(cfg.Retries, 0), backoff: cfg.Backoff, maxBackoff: cfg.MaxBackoff},
		log:    cfg.Logger,
	}, nil
}

// Synthesize asks the server for the text as WAV or raw PCM and returns mono samples.
// Errors wrap ErrTTSUnavailable when the service failed, ErrRejected when it refused the text.
func (o *OpenAITTS) Synthesize(ctx context.Context, text string) ([]int16, int, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, 0, fmt.Errorf("openai synthesize: empty text: %w", ErrBadAudio)
	}
	if len(text) > maxTTSText {
		text = text[:maxTTSText]
	}
	params := openai.AudioSpeechNewParams{
		Input:          text,
		Model:          openai.SpeechModel(o.cfg.Model),
		Voice:          openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String(o.cfg.Voice)},
		ResponseFormat: openai.AudioSpeechNewParamsResponseFormat(o.cfg.Format),
	}
	if o.cfg.Speed > 0 {
		params.Speed = openai.Float(o.cfg.Speed)
	}
	if o.cfg.Instructions != "" {
		params.Instructions = openai.String(o.cfg.Instructions)
	}
	var body []byte
	_, err := o.policy.do(ctx, ErrTTSUnavailable, func(actx context.Context) error {
		resp, err := o.svc.New(actx, params)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return &statusError{status: resp.StatusCode, body: string(b)}
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			return fmt.Errorf("read speech body: %w", err)
		}
		body = b
		return nil
	})
	if err != nil {
		o.log.Warn("speech synthesis failed", "model", o.cfg.Model, "err", err)
		return nil, 0, fmt.Errorf("openai synthesize: %w", err)
	}
	var p audio.PCM
	if o.cfg.Format == "pcm" {
		p = audio.PCM{Samples: make([]int16, len(body)/2), Rate: openAIPCMRate}
		for i := range p.Samples {
			p.Samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
		}
	} else if p, err = decodeWAV(body); err != nil {
		return nil, 0, fmt.Errorf("openai synthesize: %w: %w", ErrTTSUnavailable, err)
	}
	if len(p.Samples) == 0 {
		return nil, 0, fmt.Errorf("openai synthesize: empty audio: %w", ErrTTSUnavailable)
	}
	return convertRate(p, o.cfg.Rate)
}
