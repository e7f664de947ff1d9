package speech

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/holdslayer/holdslayer/app/audio"
)

// DefaultSTTModel is the transcription model used when none is configured.
const DefaultSTTModel = "whisper-1"

// DefaultBaseURL is OpenAI's API; any OpenAI-compatible server can be configured instead.
const DefaultBaseURL = "https://api.openai.com/v1/"

// sttRate is the rate utterances are uploaded at: Whisper-family models work at 16 kHz.
const sttRate = 16000

// STTConfig configures an OpenAI-compatible transcription client. Zero fields take defaults.
type STTConfig struct {
	APIKey  string
	BaseURL string // e.g. http://whisper:8080/v1/ for a whisper.cpp or vLLM server
	Model   string // default whisper-1
	// Timeout bounds one attempt; Retries is how many more attempts follow a transient failure.
	Timeout  time.Duration
	Retries  int
	Language string // ISO-639-1 hint, e.g. "en"; empty lets the server detect
	// Prompt is an optional vocabulary hint (company name, menu words).
	Prompt     string
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Cooldown is how long Transcribe fails fast with ErrSTTUnavailable after the service
	// was found unavailable, before trying it again.
	Cooldown   time.Duration
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time // for the cooldown; default time.Now
}

// Transcript is the text of one utterance.
type Transcript struct {
	Text     string
	Language string
	// Audio is the utterance length; Latency how long transcription took; Attempts how
	// many requests it needed.
	Audio    time.Duration
	Latency  time.Duration
	Attempts int
	Model    string
}

// OpenAISTT transcribes utterances through an OpenAI-compatible /audio/transcriptions
// endpoint. It is safe for concurrent use.
type OpenAISTT struct {
	cfg    STTConfig
	svc    openai.AudioTranscriptionService
	policy retryPolicy
	health *health
	log    *slog.Logger
}

// NewOpenAISTT builds a client; it does not contact the server. Credentials and URLs come
// only from cfg (the SDK's environment defaults are not used).
func NewOpenAISTT(cfg STTConfig) (*OpenAISTT, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("new stt: base url %q: must be http(s)", cfg.BaseURL)
	}
	if cfg.Model == "" {
		cfg.Model = DefaultSTTModel
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = DefaultCooldown
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &OpenAISTT{
		cfg:    cfg,
		svc:    openai.NewAudioTranscriptionService(clientOptions(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient)...),
		policy: retryPolicy{service: "stt", timeout: cfg.Timeout, retries: cfg.Retries, backoff: cfg.Backoff, maxBackoff: cfg.MaxBackoff},
		health: newHealth(cfg.Cooldown, cfg.Now),
		log:    cfg.Logger,
	}, nil
}

// clientOptions are the SDK options shared by our clients: explicit URL and key, the SDK's
// own retries off (ours classify and log), an optional HTTP client.
func clientOptions(baseURL, apiKey string, hc *http.Client) []option.RequestOption {
	opts := []option.RequestOption{
		option.WithBaseURL(baseURL),
		option.WithAPIKey(apiKey),
		option.WithMaxRetries(0),
	}
	if hc != nil {
		opts = append(opts, option.WithHTTPClient(hc))
	}
	return opts
}

// Healthy reports whether transcription is expected to work; false means degraded mode
// (hold detection from audio alone) until a retry after the cooldown succeeds.
func (s *OpenAISTT) Healthy() bool { return s.health.snapshot().Healthy }

// Health returns the detailed state behind Healthy.
func (s *OpenAISTT) Health() Health { return s.health.snapshot() }

// Transcribe uploads pcm (mono 16-bit at rate) as a 16 kHz WAV and returns its text.
// Errors wrap ErrBadAudio (nothing to send), ErrRejected (the server refused this input) or
// ErrSTTUnavailable (the service is down, timing out, rate-limited or misconfigured; during
// the cooldown it fails fast without a request), with a *ServiceError for details.
func (s *OpenAISTT) Transcribe(ctx context.Context, pcm []int16, rate int) (Transcript, error) {
	if len(pcm) == 0 || rate <= 0 {
		return Transcript{}, fmt.Errorf("transcribe: %d samples at %d Hz: %w", len(pcm), rate, ErrBadAudio)
	}
	if down, last := s.health.skip(); down {
		return Transcript{}, fmt.Errorf("transcribe: in cooldown after %v: %w", last, ErrSTTUnavailable)
	}
	samples := pcm
	if rate != sttRate {
		samples = audio.Resample(pcm, rate, sttRate)
	}
	var wav bytes.Buffer
	if err := audio.WriteWAV(&wav, samples, sttRate); err != nil {
		return Transcript{}, fmt.Errorf("transcribe: %w", err)
	}
	params := openai.AudioTranscriptionNewParams{
		Model:          openai.AudioModel(s.cfg.Model),
		ResponseFormat: openai.AudioResponseFormatJSON,
	}
	if s.cfg.Language != "" {
		params.Language = openai.String(s.cfg.Language)
	}
	if s.cfg.Prompt != "" {
		params.Prompt = openai.String(s.cfg.Prompt)
	}
	start := s.cfg.Now()
	var res *openai.AudioTranscriptionNewResponseUnion
	attempts, err := s.policy.do(ctx, ErrSTTUnavailable, func(actx context.Context) error {
		params.File = openai.File(bytes.NewReader(wav.Bytes()), "utterance.wav", "audio/wav")
		r, err := s.svc.New(actx, params)
		if err != nil {
			s.log.Debug("stt attempt failed", "err", err)
			return err
		}
		res = r
		return nil
	})
	s.health.record(err, ErrSTTUnavailable)
	if err != nil {
		s.log.Warn("transcription failed", "model", s.cfg.Model, "attempts", attempts, "err", err)
		return Transcript{}, fmt.Errorf("transcribe: %w", err)
	}
	return Transcript{
		Text:     strings.TrimSpace(res.Text),
		Language: res.Language,
		Audio:    time.Duration(len(pcm)) * time.Second / time.Duration(rate),
		Latency:  s.cfg.Now().Sub(start),
		Attempts: attempts,
		Model:    s.cfg.Model,
	}, nil
}
