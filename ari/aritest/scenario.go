package aritest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario scripts a company's phone system: how the call is answered (or not), then steps
// run in order (or by goto) on the clock. See scenarios/*.yaml for examples.
type Scenario struct {
	Name string `yaml:"name" json:"name"`
	// Result is how the call setup ends: "answer" (default), "busy", "no_answer",
	// "congestion" or "unallocated".
	Result string `yaml:"result" json:"result"`
	// AnswerAfter is how long it rings (ringback) before the result.
	AnswerAfter Duration `yaml:"answer_after" json:"answer_after"`
	// Voice is the espeak-ng voice for `say` prompts (default "en-us").
	Voice string `yaml:"voice" json:"voice"`
	Steps []Step `yaml:"steps" json:"steps"`

	dir      string
	prepared bool
}

// Step is one thing the company does. Exactly one of Play, Pause, Menu, Hold, Agent, Hangup
// should be set; Goto (after the step) jumps to another step's ID.
type Step struct {
	ID     string   `yaml:"id" json:"id"`
	Play   []Audio  `yaml:"play" json:"play"`
	Pause  Duration `yaml:"pause" json:"pause"`
	Menu   *Menu    `yaml:"menu" json:"menu"`
	Hold   *Hold    `yaml:"hold" json:"hold"`
	Agent  *Agent   `yaml:"agent" json:"agent"`
	Hangup bool     `yaml:"hangup" json:"hangup"`
	Goto   string   `yaml:"goto" json:"goto"`
}

// Audio is one prompt: text rendered by espeak-ng, a WAV file (relative to the scenario file),
// an Asterisk core sound by name, or a tone ("sit", "busy", "ring", a frequency).
type Audio struct {
	Say   string `yaml:"say" json:"say"`
	Voice string `yaml:"voice" json:"voice"`
	File  string `yaml:"file" json:"file"`
	Sound string `yaml:"sound" json:"sound"`
	Tone  string `yaml:"tone" json:"tone"`

	samples []int16
}

// Menu plays its prompt and waits for a key (or a spoken word, see package doc).
type Menu struct {
	Prompt  []Audio           `yaml:"prompt" json:"prompt"`
	Options map[string]string `yaml:"options" json:"options"` // digit -> step id
	Speech  map[string]string `yaml:"speech" json:"speech"`   // word -> step id
	// Timeout is the wait after the prompt (default 5s); Retries how many times the prompt is
	// repeated after a timeout or wrong key (default 2) before OnFail.
	Timeout Duration `yaml:"timeout" json:"timeout"`
	Retries *int     `yaml:"retries" json:"retries"`
	Invalid []Audio  `yaml:"invalid" json:"invalid"`   // played after a wrong key
	NoInput []Audio  `yaml:"no_input" json:"no_input"` // played after a timeout
	OnFail  string   `yaml:"on_fail" json:"on_fail"`   // step id, or "" to hang up

	words []phrase // the Speech words as a caller's voice says them, for recogniseWord
}

// Hold plays music for Duration with an announcement every AnnounceEvery; HangupAfter makes
// the company hang up at the end of the hold (a company that drops callers on hold).
type Hold struct {
	Duration      Duration `yaml:"duration" json:"duration"`
	Music         string   `yaml:"music" json:"music"`
	Announce      []Audio  `yaml:"announce" json:"announce"`
	AnnounceEvery Duration `yaml:"announce_every" json:"announce_every"`
	HangupAfter   bool     `yaml:"hangup_after" json:"hangup_after"`
}

// Agent is the live person: a greeting in another voice, then one reply each time the caller
// has spoken (speech energy followed by a pause).
type Agent struct {
	Voice    string   `yaml:"voice" json:"voice"`
	Greeting string   `yaml:"greeting" json:"greeting"`
	Replies  []string `yaml:"replies" json:"replies"`
	// Patience is how long the agent waits for the caller before "Hello? Anyone there?" and,
	// after as long again, hanging up (default 20s).
	Patience Duration `yaml:"patience" json:"patience"`

	greeting []int16
	replies  [][]int16
	prompt   []int16
}

// Duration accepts "90s", "2m" or a number of seconds in YAML and JSON.
type Duration time.Duration

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func parseDur(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return Duration(d), nil
	}
	var f float64
	if _, err := fmt.Sscanf(s, "%g", &f); err != nil {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return Duration(f * float64(time.Second)), nil
}

// UnmarshalYAML reads "90s", "2m" or seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDur(n.Value)
	*d = v
	return err
}

// UnmarshalJSON reads "90s", "2m" or seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	v, err := parseDur(strings.Trim(string(b), `"`))
	*d = v
	return err
}

// LoadScenario reads a scenario from a YAML or JSON file (by extension; YAML otherwise).
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	sc := &Scenario{}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = json.Unmarshal(b, sc)
	} else {
		err = yaml.Unmarshal(b, sc)
	}
	if err != nil {
		return nil, fmt.Errorf("parse scenario %s: %w", path, err)
	}
	sc.dir = filepath.Dir(path)
	if err := sc.validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return sc, nil
}

func (sc *Scenario) validate() error {
	switch sc.Result {
	case "", "answer", "busy", "no_answer", "congestion", "unallocated":
	default:
		return fmt.Errorf("unknown result %q", sc.Result)
	}
	ids := map[string]bool{}
	for _, st := range sc.Steps {
		if st.ID != "" {
			ids[st.ID] = true
		}
	}
	check := func(id string) error {
		if id != "" && id != "hangup" && !ids[id] {
			return fmt.Errorf("unknown step %q", id)
		}
		return nil
	}
	for _, st := range sc.Steps {
		if err := check(st.Goto); err != nil {
			return err
		}
		if st.Menu != nil {
			for _, id := range st.Menu.Options {
				if err := check(id); err != nil {
					return err
				}
			}
			for _, id := range st.Menu.Speech {
				if err := check(id); err != nil {
					return err
				}
			}
			if err := check(st.Menu.OnFail); err != nil {
				return err
			}
		}
	}
	return nil
}

// prepare renders or loads every prompt once (espeak-ng output is cached in the sounds dir).
func (sc *Scenario) prepare(c *soundCache) error {
	if sc.prepared {
		return nil
	}
	if err := sc.validate(); err != nil {
		return err
	}
	load := func(list []Audio) error {
		for i := range list {
			a := &list[i]
			var err error
			switch {
			case a.Say != "":
				v := a.Voice
				if v == "" {
					v = sc.Voice
				}
				a.samples, err = c.say(a.Say, v)
			case a.File != "":
				p := a.File
				if !filepath.IsAbs(p) && sc.dir != "" {
					p = filepath.Join(sc.dir, p)
				}
				a.samples, err = c.file(p)
			case a.Sound != "":
				a.samples, err = c.sound(a.Sound)
				if errors.Is(err, fs.ErrNotExist) {
					// Without Asterisk's sound packages the scenario still plays: the
					// prompt's name, spoken (the demo must run on a bare machine).
					a.samples, err = c.say(strings.ReplaceAll(a.Sound, "-", " "), sc.Voice)
				}
			case a.Tone != "":
				a.samples = toneSamples(a.Tone, 8000)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for i := range sc.Steps {
		st := &sc.Steps[i]
		if err := load(st.Play); err != nil {
			return err
		}
		if m := st.Menu; m != nil {
			if len(m.Invalid) == 0 {
				m.Invalid = []Audio{{Sound: "pm-invalid-option"}}
			}
			for _, l := range [][]Audio{m.Prompt, m.Invalid, m.NoInput} {
				if err := load(l); err != nil {
					return err
				}
			}
			m.words = nil
			for w := range m.Speech {
				smp, err := c.say(w, callerVoice)
				if err != nil {
					return err
				}
				f, _ := features(smp).trim()
				m.words = append(m.words, phrase{text: w, f: f})
			}
		}
		if h := st.Hold; h != nil {
			if err := load(h.Announce); err != nil {
				return err
			}
		}
		if a := st.Agent; a != nil {
			if a.Voice == "" {
				a.Voice = "en-us+f3"
			}
			var err error
			if a.greeting, err = c.say(a.Greeting, a.Voice); err != nil {
				return err
			}
			a.replies = nil
			for _, r := range a.Replies {
				smp, err := c.say(r, a.Voice)
				if err != nil {
					return err
				}
				a.replies = append(a.replies, smp)
			}
			if a.prompt, err = c.say("Hello? Are you still there?", a.Voice); err != nil {
				return err
			}
		}
	}
	sc.prepared = true
	return nil
}

func concat(list []Audio) []int16 {
	var out []int16
	for _, a := range list {
		out = append(out, a.samples...)
	}
	return out
}
