package navigator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// LLM navigation defaults.
const (
	DefaultLLMModel    = "gpt-4o-mini"
	DefaultMaxTurns    = 4
	DefaultLLMBudget   = 30 * time.Second
	DefaultLLMTimeout  = 15 * time.Second
	DefaultLLMRetries  = 2
	maxWaitToolSeconds = 120
)

// ErrLLMUnavailable: the model endpoint failed (down, timing out, rate-limited past the
// retries, misconfigured). The engine falls back to the matcher or to waiting.
var ErrLLMUnavailable = errors.New("llm navigation unavailable")

// ErrNoDecision: the model used up its turns or time without one valid tool call.
var ErrNoDecision = errors.New("llm gave no valid decision")

// LLMConfig configures LLM navigation over any OpenAI-compatible chat endpoint (OpenAI,
// Anthropic's compatible endpoint, Ollama, vLLM).
type LLMConfig struct {
	APIKey  string
	BaseURL string
	Model   string
	// MaxTurns bounds model calls per Decide; Budget bounds Decide's total time;
	// RequestTimeout bounds one model call; Retries is for 429/5xx/timeouts per call.
	MaxTurns       int
	Budget         time.Duration
	RequestTimeout time.Duration
	Retries        int
	Backoff        time.Duration
	HTTPClient     *http.Client
	Logger         *slog.Logger
}

// LLMNavigator makes chat-completion clients for calls.
type LLMNavigator struct {
	cfg LLMConfig
	svc openai.ChatCompletionService
}

// NewLLMNavigator builds the client from cfg alone (no environment defaults).
func NewLLMNavigator(cfg LLMConfig) (*LLMNavigator, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.openai.com/v1/"
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("new llm navigator: base url %q: must be http(s)", cfg.BaseURL)
	}
	if cfg.Model == "" {
		cfg.Model = DefaultLLMModel
	}
	if cfg.MaxTurns <= 0 {
		cfg.MaxTurns = DefaultMaxTurns
	}
	if cfg.Budget <= 0 {
		cfg.Budget = DefaultLLMBudget
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultLLMTimeout
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	opts := []option.RequestOption{option.WithBaseURL(cfg.BaseURL), option.WithAPIKey(cfg.APIKey), option.WithMaxRetries(0)}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	return &LLMNavigator{cfg: cfg, svc: openai.NewChatCompletionService(opts...)}, nil
}

// Session is one call's conversation with the model: the system prompt, what was heard and
// what was done so far. Owned by the call goroutine.
type Session struct {
	nav      *LLMNavigator
	log      *slog.Logger
	messages []openai.ChatCompletionMessageParamUnion
	unsent   []string
}

// CallInfo is what the model is told about the call.
type CallInfo struct {
	CallID  string
	Intent  string
	Company string
	Number  string
}

// NewSession starts a conversation for one call.
func (n *LLMNavigator) NewSession(info CallInfo) *Session {
	return &Session{
		nav:      n,
		log:      n.cfg.Logger.With("call_id", info.CallID),
		messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(systemPrompt(info))},
	}
}

func systemPrompt(info CallInfo) string {
	company := info.Company
	if company == "" {
		company = "the company at " + info.Number
	}
	intent := info.Intent
	if intent == "" {
		intent = "speak to a customer service representative"
	}
	return fmt.Sprintf(`You are navigating the automated phone menu of %s on behalf of a customer.
The customer wants to: %s.
You hear the company's prompts as transcripts (speech recognition may contain small errors).
Reply only by calling exactly one tool:
- send_dtmf: press keypad keys to choose the menu option that best fits the customer's goal;
- say: speak a short phrase when the menu asks you to say something;
- wait: when the prompt is not finished or no choice is needed yet;
- report_hold: when you hear hold music or hold announcements;
- report_human: when a live person (not a recording) is speaking;
- hang_up: only if the call cannot possibly reach the goal (wrong number, closed).
Never enter account numbers or personal data; prefer options that reach a representative when unsure.`, company, intent)
}

// Heard adds a company transcript to what the model will see next.
func (s *Session) Heard(text string) {
	if t := strings.TrimSpace(text); t != "" {
		s.unsent = append(s.unsent, t)
	}
}

// ToolChoice is one tool call the model made, as logged in a navigator_decision event.
type ToolChoice struct {
	Turn      int
	Tool      string
	Arguments string
	Error     string // why it was refused; empty when accepted
	Accepted  bool
}

// EventData is the data of a navigator_decision event.
func (c ToolChoice) EventData() map[string]any {
	d := map[string]any{"source": "llm", "turn": c.Turn, "tool": c.Tool, "arguments": c.Arguments, "accepted": c.Accepted}
	if c.Error != "" {
		d["error"] = c.Error
	}
	return d
}

// Decision is the model's chosen action and every tool call it made on the way.
type Decision struct {
	Action  Action
	Choices []ToolChoice
	Turns   int
}

// Decide asks the model what to do about everything heard since the last decision. It
// loops (bounded by MaxTurns and Budget) until the model makes one valid tool call; invalid
// arguments and unknown tools are answered as tool errors so the model can correct itself.
// Errors wrap ErrLLMUnavailable or ErrNoDecision; the Decision's Choices are filled either way.
func (s *Session) Decide(ctx context.Context) (Decision, error) {
	cfg := s.nav.cfg
	ctx, cancel := context.WithTimeout(ctx, cfg.Budget)
	defer cancel()
	heard := "(nothing new has been heard)"
	if len(s.unsent) > 0 {
		heard = strings.Join(s.unsent, "\n")
	}
	s.messages = append(s.messages, openai.UserMessage("Company said:\n"+heard))
	s.unsent = nil
	var dec Decision
	for turn := 1; turn <= cfg.MaxTurns; turn++ {
		dec.Turns = turn
		comp, err := s.complete(ctx)
		if err != nil {
			return dec, fmt.Errorf("llm decide (turn %d): %w", turn, err)
		}
		if len(comp.Choices) == 0 {
			return dec, fmt.Errorf("llm decide: empty choices: %w", ErrLLMUnavailable)
		}
		msg := comp.Choices[0].Message
		s.messages = append(s.messages, msg.ToParam())
		if len(msg.ToolCalls) == 0 {
			dec.Choices = append(dec.Choices, ToolChoice{Turn: turn, Error: "no tool call: " + truncate(msg.Content, 200)})
			s.messages = append(s.messages, openai.UserMessage("Respond by calling exactly one of the tools."))
			continue
		}
		var accepted *Action
		for _, tc := range msg.ToolCalls {
			choice := ToolChoice{Turn: turn, Tool: tc.Function.Name, Arguments: tc.Function.Arguments}
			if accepted != nil {
				choice.Error = "ignored: one action per turn"
				s.messages = append(s.messages, openai.ToolMessage(`{"error":"ignored: only one action is taken per turn"}`, tc.ID))
				dec.Choices = append(dec.Choices, choice)
				continue
			}
			a, err := parseToolCall(tc.Function.Name, tc.Function.Arguments)
			if err != nil {
				choice.Error = err.Error()
				s.log.Info("llm tool call refused", "tool", tc.Function.Name, "err", err)
				b, _ := json.Marshal(map[string]string{"error": err.Error()})
				s.messages = append(s.messages, openai.ToolMessage(string(b), tc.ID))
				dec.Choices = append(dec.Choices, choice)
				continue
			}
			choice.Accepted = true
			dec.Choices = append(dec.Choices, choice)
			accepted = &a
			s.messages = append(s.messages, openai.ToolMessage(`{"ok":true}`, tc.ID))
		}
		if accepted != nil {
			dec.Action = *accepted
			return dec, nil
		}
	}
	return dec, fmt.Errorf("llm decide: %d turns: %w", cfg.MaxTurns, ErrNoDecision)
}

// complete makes one chat-completion call with retries on 429, 5xx and timeouts.
func (s *Session) complete(ctx context.Context) (*openai.ChatCompletion, error) {
	cfg := s.nav.cfg
	params := openai.ChatCompletionNewParams{
		Model:    shared.ChatModel(cfg.Model),
		Messages: s.messages,
		Tools:    toolDefs(),
	}
	var last error
	for attempt := 0; attempt <= cfg.Retries; attempt++ {
		actx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
		comp, err := s.nav.svc.New(actx, params)
		cancel()
		if err == nil {
			return comp, nil
		}
		last = err
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ErrLLMUnavailable, errors.Join(ctx.Err(), err))
		}
		var apiErr *openai.Error
		if errors.As(err, &apiErr) && apiErr.StatusCode != 429 && apiErr.StatusCode != 408 && apiErr.StatusCode < 500 {
			return nil, fmt.Errorf("%w: status %d: %w", ErrLLMUnavailable, apiErr.StatusCode, err)
		}
		s.log.Debug("llm attempt failed", "attempt", attempt+1, "err", err)
		if attempt < cfg.Retries {
			t := time.NewTimer(cfg.Backoff << attempt)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("%w: %w", ErrLLMUnavailable, errors.Join(ctx.Err(), err))
			}
		}
	}
	return nil, fmt.Errorf("%w: %d attempts: %w", ErrLLMUnavailable, cfg.Retries+1, last)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Tool names offered to the model.
const (
	ToolSendDTMF    = "send_dtmf"
	ToolSay         = "say"
	ToolWait        = "wait"
	ToolReportHold  = "report_hold"
	ToolReportHuman = "report_human"
	ToolHangUp      = "hang_up"
)

func toolDefs() []openai.ChatCompletionToolUnionParam {
	obj := func(props map[string]any, required ...string) shared.FunctionParameters {
		p := shared.FunctionParameters{"type": "object", "properties": props, "additionalProperties": false}
		if required == nil {
			required = []string{}
		}
		p["required"] = required
		return p
	}
	def := func(name, desc string, params shared.FunctionParameters) openai.ChatCompletionToolUnionParam {
		return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: name, Description: openai.String(desc), Parameters: params})
	}
	return []openai.ChatCompletionToolUnionParam{
		def(ToolSendDTMF, "Press keypad keys on the phone.", obj(map[string]any{
			"digits": map[string]any{"type": "string", "description": "keys to press: 0-9, * and #", "pattern": "^[0-9*#]{1,16}$"}}, "digits")),
		def(ToolSay, "Say a short phrase into the phone menu.", obj(map[string]any{
			"text": map[string]any{"type": "string", "description": "what to say, a few words"}}, "text")),
		def(ToolWait, "Keep listening without acting.", obj(map[string]any{
			"seconds": map[string]any{"type": "number", "minimum": 1, "maximum": maxWaitToolSeconds}}, "seconds")),
		def(ToolReportHold, "The call is on hold (music or hold announcements).", obj(map[string]any{})),
		def(ToolReportHuman, "A live person is speaking.", obj(map[string]any{
			"confidence": map[string]any{"type": "number", "minimum": 0, "maximum": 1},
			"reason":     map[string]any{"type": "string"}}, "confidence", "reason")),
		def(ToolHangUp, "End the call because the goal cannot be reached.", obj(map[string]any{
			"reason": map[string]any{"type": "string"}}, "reason")),
	}
}

// parseToolCall validates a tool call strictly and turns it into an Action.
func parseToolCall(name, args string) (Action, error) {
	if strings.TrimSpace(args) == "" {
		args = "{}"
	}
	dec := json.NewDecoder(strings.NewReader(args))
	dec.DisallowUnknownFields()
	switch name {
	case ToolSendDTMF:
		var a struct {
			Digits string `json:"digits"`
		}
		if err := dec.Decode(&a); err != nil {
			return Action{}, fmt.Errorf("send_dtmf: invalid arguments: %w", err)
		}
		if a.Digits == "" || len(a.Digits) > 16 || strings.Trim(a.Digits, "0123456789*#") != "" {
			return Action{}, fmt.Errorf("send_dtmf: digits %q must be 1-16 of 0-9, * and #", a.Digits)
		}
		return Action{Kind: ActDTMF, Digits: a.Digits, Reason: "llm"}, nil
	case ToolSay:
		var a struct {
			Text string `json:"text"`
		}
		if err := dec.Decode(&a); err != nil {
			return Action{}, fmt.Errorf("say: invalid arguments: %w", err)
		}
		a.Text = strings.TrimSpace(a.Text)
		if a.Text == "" || len(a.Text) > 200 {
			return Action{}, fmt.Errorf("say: text must be 1-200 characters")
		}
		return Action{Kind: ActSpeak, Text: a.Text, Reason: "llm"}, nil
	case ToolWait:
		var a struct {
			Seconds *float64 `json:"seconds"`
		}
		if err := dec.Decode(&a); err != nil {
			return Action{}, fmt.Errorf("wait: invalid arguments: %w", err)
		}
		if a.Seconds == nil || *a.Seconds < 1 || *a.Seconds > maxWaitToolSeconds {
			return Action{}, fmt.Errorf("wait: seconds must be between 1 and %d", maxWaitToolSeconds)
		}
		return Action{Kind: ActWait, Wait: time.Duration(*a.Seconds * float64(time.Second)), Reason: "llm"}, nil
	case ToolReportHold:
		var a struct{}
		if err := dec.Decode(&a); err != nil {
			return Action{}, fmt.Errorf("report_hold: invalid arguments: %w", err)
		}
		return Action{Kind: ActExpectHold, Reason: "llm"}, nil
	case ToolReportHuman:
		var a struct {
			Confidence *float64 `json:"confidence"`
			Reason     string   `json:"reason"`
		}
		if err := dec.Decode(&a); err != nil {
			return Action{}, fmt.Errorf("report_human: invalid arguments: %w", err)
		}
		if a.Confidence == nil || *a.Confidence < 0 || *a.Confidence > 1 {
			return Action{}, fmt.Errorf("report_human: confidence must be between 0 and 1")
		}
		return Action{Kind: ActHumanReported, Confidence: *a.Confidence, Reason: a.Reason}, nil
	case ToolHangUp:
		var a struct {
			Reason string `json:"reason"`
		}
		if err := dec.Decode(&a); err != nil {
			return Action{}, fmt.Errorf("hang_up: invalid arguments: %w", err)
		}
		if strings.TrimSpace(a.Reason) == "" {
			return Action{}, fmt.Errorf("hang_up: a reason is required")
		}
		return Action{Kind: ActHangup, Reason: a.Reason}, nil
	}
	return Action{}, fmt.Errorf("unknown tool %q", name)
}
