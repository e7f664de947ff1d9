package navigator

import (
	"strings"
	"time"
)

// Heard is one transcribed utterance of the company side, with when it was heard.
type Heard struct {
	Text  string
	Start time.Time
	End   time.Time
}

// Candidate is the acoustic layer's claim that a person may be speaking: speech after hold.
type Candidate struct {
	Onset      time.Time
	Confidence float64
	Evidence   string
}

// VerdictKind is the transcript layer's conclusion.
type VerdictKind string

// Verdicts. Undecided means "no transcript evidence either way yet".
const (
	Undecided VerdictKind = "undecided"
	Human     VerdictKind = "human"
	NotHuman  VerdictKind = "not_human"
)

// Verdict is the judgement with its reason and the phrase it rests on, for the timeline.
type Verdict struct {
	Kind       VerdictKind
	Confidence float64
	Reason     string // repeated_announcement, hold_phrase, menu_prompt, greeting, live_check_yes, no_reply, ...
	Phrase     string
}

// DefaultHoldPhrases are things recordings say on hold.
var DefaultHoldPhrases = []string{
	"your call is important to us", "please continue to hold", "please stay on the line",
	"all of our representatives are busy", "all of our agents are busy", "all our representatives are currently",
	"all of our representatives are currently", "calls are answered in the order received",
	"calls will be answered in the order", "in the order it was received", "the next available representative",
	"next available agent", "thank you for your patience", "thank you for holding", "thank you for continuing to hold",
	"we appreciate your patience", "higher than normal call volume", "experiencing high call volume",
	"estimated wait time", "you are caller number", "visit our website", "para espanol", "your call may be recorded",
	"this call may be monitored", "please hold", "remain on the line",
}

// DefaultGreetingCues are things a person says on picking up.
var DefaultGreetingCues = []string{
	"my name is", "how can i help", "how may i help", "how can i assist", "how may i assist", "how can i direct",
	"may i have your name", "can i have your name", "who am i speaking with", "who do i have the pleasure",
	"may i have your account", "can i get your", "what can i do for you", "speaking", "how are you today",
}

// JudgeConfig tunes the judge; nil lists take the defaults.
type JudgeConfig struct {
	HoldPhrases  []string
	GreetingCues []string
	// RepeatThreshold is the similarity above which an utterance is the same announcement as
	// one heard earlier in the call (default 0.6).
	RepeatThreshold float64
	// Slack is how far before the onset a transcript may start and still belong to it.
	Slack time.Duration
}

// Judge is the transcript layer of the human detector.
type Judge struct {
	hold   [][]string
	greet  [][]string
	repeat float64
	slack  time.Duration
}

// NewJudge returns a judge with cfg's phrases (or the defaults).
func NewJudge(cfg JudgeConfig) *Judge {
	if cfg.HoldPhrases == nil {
		cfg.HoldPhrases = DefaultHoldPhrases
	}
	if cfg.GreetingCues == nil {
		cfg.GreetingCues = DefaultGreetingCues
	}
	if cfg.RepeatThreshold <= 0 {
		cfg.RepeatThreshold = 0.6
	}
	if cfg.Slack <= 0 {
		cfg.Slack = time.Second
	}
	j := &Judge{repeat: cfg.RepeatThreshold, slack: cfg.Slack}
	for _, p := range cfg.HoldPhrases {
		j.hold = append(j.hold, words(p))
	}
	for _, p := range cfg.GreetingCues {
		j.greet = append(j.greet, words(p))
	}
	return j
}

// Judge weighs the transcripts heard since the candidate's onset against what was heard
// earlier in the call. Vetoes win over greetings: a false transfer is the worst error.
func (j *Judge) Judge(c Candidate, heard []Heard) Verdict {
	var now, before []Heard
	for _, h := range heard {
		if strings.TrimSpace(h.Text) == "" {
			continue
		}
		if !h.Start.Before(c.Onset.Add(-j.slack)) {
			now = append(now, h)
		} else {
			before = append(before, h)
		}
	}
	if len(now) == 0 {
		return Verdict{Kind: Undecided, Reason: "no transcript yet"}
	}
	var greeting *Verdict
	for _, h := range now {
		for _, b := range before {
			if s := similarity(h.Text, b.Text); s >= j.repeat {
				return Verdict{Kind: NotHuman, Confidence: s, Reason: "repeated_announcement", Phrase: h.Text}
			}
		}
		toks := words(h.Text)
		for _, p := range j.hold {
			if containsPhrase(toks, p) {
				return Verdict{Kind: NotHuman, Confidence: 0.9, Reason: "hold_phrase", Phrase: strings.Join(p, " ")}
			}
		}
		if len(ParseMenu(h.Text)) > 0 {
			return Verdict{Kind: NotHuman, Confidence: 0.85, Reason: "menu_prompt", Phrase: h.Text}
		}
		if greeting == nil {
			if cue, ok := j.greetingCue(toks); ok {
				greeting = &Verdict{Kind: Human, Confidence: 0.85, Reason: "greeting", Phrase: cue}
			}
		}
	}
	if greeting != nil {
		return *greeting
	}
	return Verdict{Kind: Undecided, Confidence: 0.5, Reason: "speech without cues", Phrase: now[len(now)-1].Text}
}

// greetingCue finds a greeting: one of the cue phrases, or "this is <Name>" / "<Name>
// speaking" as agents introduce themselves.
func (j *Judge) greetingCue(toks []string) (string, bool) {
	for _, p := range j.greet {
		if containsPhrase(toks, p) {
			return strings.Join(p, " "), true
		}
	}
	for i := 0; i+2 < len(toks); i++ {
		if toks[i] == "this" && toks[i+1] == "is" && !notNames[toks[i+2]] {
			return "this is " + toks[i+2], true
		}
	}
	return "", false
}

// notNames are words that follow "this is" in recordings ("this is a recording", "this is
// an automated message") and so are not an agent's name.
var notNames = map[string]bool{"a": true, "an": true, "the": true, "not": true, "to": true, "your": true,
	"our": true, "important": true, "regarding": true, "about": true, "for": true, "being": true, "it": true,
	"automated": true, "recorded": true, "only": true, "just": true, "because": true}

var yesCues = [][]string{
	{"yes"}, {"yeah"}, {"yep"}, {"yup"}, {"i", "am"}, {"i'm", "here"}, {"i", "sure", "am"}, {"speaking"},
	{"correct"}, {"that's", "right"}, {"of", "course"}, {"sure"}, {"real", "person"}, {"live", "person"},
	{"how", "can", "i", "help"}, {"how", "may", "i", "help"}, {"i'm", "a", "real"}, {"i'm", "a", "live"},
	{"uh", "huh"},
}

// JudgeLiveReply judges the answer to the live check. reply is what was transcribed after
// the question (empty when nothing was said within the wait). A yes, a greeting or a
// question back means a person; silence, a hold phrase, a menu or the announcement heard
// before means a recording; anything else stays undecided.
func (j *Judge) JudgeLiveReply(reply string, earlier []Heard) Verdict {
	toks := words(reply)
	if len(toks) == 0 {
		return Verdict{Kind: NotHuman, Confidence: 0.7, Reason: "no_reply"}
	}
	for _, b := range earlier {
		if s := similarity(reply, b.Text); s >= j.repeat {
			return Verdict{Kind: NotHuman, Confidence: s, Reason: "repeated_announcement", Phrase: reply}
		}
	}
	for _, p := range j.hold {
		if containsPhrase(toks, p) {
			return Verdict{Kind: NotHuman, Confidence: 0.9, Reason: "hold_phrase", Phrase: strings.Join(p, " ")}
		}
	}
	if len(ParseMenu(reply)) > 0 {
		return Verdict{Kind: NotHuman, Confidence: 0.85, Reason: "menu_prompt", Phrase: reply}
	}
	if containsPhrase(toks, []string{"this", "is", "a", "recording"}) || containsPhrase(toks, []string{"automated"}) {
		return Verdict{Kind: NotHuman, Confidence: 0.9, Reason: "recording", Phrase: reply}
	}
	for _, c := range yesCues {
		if containsPhrase(toks, c) {
			return Verdict{Kind: Human, Confidence: 0.9, Reason: "live_check_yes", Phrase: strings.Join(c, " ")}
		}
	}
	if cue, ok := j.greetingCue(toks); ok {
		return Verdict{Kind: Human, Confidence: 0.85, Reason: "greeting", Phrase: cue}
	}
	if strings.HasSuffix(strings.TrimSpace(reply), "?") {
		return Verdict{Kind: Human, Confidence: 0.6, Reason: "question_back", Phrase: reply}
	}
	return Verdict{Kind: Undecided, Confidence: 0.5, Reason: "unclear_reply", Phrase: reply}
}
