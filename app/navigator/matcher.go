package navigator

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// MenuOption is one choice a phone menu offered: a key to press, a word to say, or both.
type MenuOption struct {
	Key   string `json:"key,omitempty"` // "0".."9", "*", "#"
	Say   string `json:"say,omitempty"` // phrase to say aloud
	Label string `json:"label"`         // what the option is for, as heard
}

var keyVerbs = map[string]bool{"press": true, "dial": true, "push": true, "enter": true, "select": true,
	"choose": true, "hit": true, "touch": true, "pressing": true}

var labelTriggers = map[string]bool{"for": true, "to": true, "if": true, "regarding": true, "about": true}

var conjunctions = map[string]bool{"or": true, "and": true, "please": true, ",": true, "now": true, "simply": true, "just": true, "you": true, "can": true, "may": true}

// keyToken reads a keypad key at toks[i] ("2", "two", "star", "pound", "#").
func keyToken(toks []string, i int) (string, int, bool) {
	if i < len(toks) && toks[i] == "the" {
		k, n, ok := keyToken(toks, i+1)
		return k, n + 1, ok
	}
	if i >= len(toks) {
		return "", 0, false
	}
	t := toks[i]
	switch t {
	case "star", "*", "asterisk":
		return "*", 1, true
	case "pound", "#", "hash", "hashtag", "number":
		if t == "number" && (i+1 >= len(toks) || toks[i+1] != "sign") {
			return "", 0, false
		}
		if t == "number" {
			return "#", 2, true
		}
		return "#", 1, true
	}
	if len(t) <= 2 {
		if _, err := strconv.Atoi(t); err == nil {
			return t, 1, true
		}
	}
	if n, ok := smallNumbers[t]; ok && n >= 0 && n <= 9 && t != "a" && t != "an" && t != "o" {
		return strconv.Itoa(n), 1, true
	}
	return "", 0, false
}

type occurrence struct {
	start, end int // token span of "press 2" / "say billing"
	key, say   string
}

// ParseMenu finds the options a menu prompt offers: "press 1 for billing", "for billing,
// press 2", "to speak to a representative, press 0", "say billing", "press two", "for X
// say X or press 3". Options come back in the order heard, one per distinct choice.
func ParseMenu(transcript string) []MenuOption {
	var out []MenuOption
	for _, sentence := range strings.Split(normalize(transcript), " . ") {
		toks := strings.Fields(strings.Trim(sentence, " ."))
		out = append(out, parseSentence(toks)...)
	}
	return dedupe(out)
}

// exampleFillers introduce examples, not what an option is for: "for example, say billing"
// offers "billing", not an option labelled "example".
var exampleFillers = [][]string{{"for", "example"}, {"for", "instance"}, {"such", "as"}, {"e", "g"}}

// dropFillers removes exampleFillers from a sentence's tokens.
func dropFillers(toks []string) []string {
	out := make([]string, 0, len(toks))
next:
	for i := 0; i < len(toks); i++ {
		for _, f := range exampleFillers {
			if i+len(f) <= len(toks) && equalWords(toks[i:i+len(f)], f) {
				i += len(f) - 1
				continue next
			}
		}
		out = append(out, toks[i])
	}
	return out
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func parseSentence(toks []string) []MenuOption {
	toks = dropFillers(toks)
	var occ []occurrence
	for i := 0; i < len(toks); i++ {
		switch {
		case keyVerbs[toks[i]]:
			if k, n, ok := keyToken(toks, i+1); ok {
				end := i + 1 + n
				if end < len(toks) && toks[end] == "key" {
					end++
				}
				occ = append(occ, occurrence{start: i, end: end, key: k})
				i = end - 1
			}
		case toks[i] == "say":
			st, j := i, i+1
			if j+1 < len(toks) && (toks[j] == "things" || toks[j] == "something") && toks[j+1] == "like" {
				i += 2 // "say things like pay my bill": the example is the option
				j += 2
			}
			for j < len(toks) && toks[j] != "," && toks[j] != "or" && toks[j] != "and" && !keyVerbs[toks[j]] && !labelTriggers[toks[j]] && j-i <= 4 {
				j++
			}
			if j > i+1 {
				occ = append(occ, occurrence{start: st, end: j, say: strings.Join(toks[i+1:j], " ")})
				i = j - 1
			}
		}
	}
	var out []MenuOption
	consumed := 0
	for n, o := range occ {
		nextStart := len(toks)
		if n+1 < len(occ) {
			nextStart = occ[n+1].start
		}
		back := toks[consumed:o.start]
		label := ""
		trig := -1
		for j, w := range back {
			if labelTriggers[w] {
				trig = j
				break
			}
		}
		switch {
		case trig >= 0:
			label = joinLabel(back[trig+1:])
			consumed = o.end
		case o.end < len(toks) && labelTriggers[toks[o.end]]:
			j := o.end + 1
			for j < nextStart && toks[j] != "," {
				j++
			}
			label = joinLabel(toks[o.end+1 : j])
			consumed = j
		default:
			if o.say == "" { // "billing, press 4"; a bare "say X" is its own label
				label = joinLabel(back)
			}
			consumed = o.end
		}
		opt := MenuOption{Key: o.key, Say: o.say, Label: label}
		if opt.Label == "" && opt.Say != "" {
			opt.Label = opt.Say
		}
		// "for billing, say billing or press 2": the key joins the spoken option.
		if len(out) > 0 && onlyFiller(back) && trig < 0 && (o.end >= len(toks) || !labelTriggers[toks[o.end]]) {
			prev := &out[len(out)-1]
			if prev.Key == "" && o.key != "" {
				prev.Key = o.key
				continue
			}
			if prev.Say == "" && o.say != "" {
				prev.Say = o.say
				continue
			}
		}
		if opt.Label == "" {
			continue
		}
		out = append(out, opt)
	}
	return out
}

func onlyFiller(ws []string) bool {
	for _, w := range ws {
		if !conjunctions[w] {
			return false
		}
	}
	return true
}

// labelTrim are words trimmed from the ends of a label.
var labelTrim = map[string]bool{"or": true, "and": true, "please": true, ",": true, "now": true, "simply": true, "just": true, "the": true}

func joinLabel(ws []string) string {
	for len(ws) > 0 && labelTrim[ws[0]] {
		ws = ws[1:]
	}
	for len(ws) > 0 && labelTrim[ws[len(ws)-1]] {
		ws = ws[:len(ws)-1]
	}
	return strings.Join(ws, " ")
}

func dedupe(in []MenuOption) []MenuOption {
	seen := map[string]bool{}
	var out []MenuOption
	for _, o := range in {
		k := o.Key + "|" + o.Say + "|" + o.Label
		if !seen[k] {
			seen[k] = true
			out = append(out, o)
		}
	}
	return out
}

// MatcherConfig extends the built-in vocabulary.
type MatcherConfig struct {
	// Synonyms adds words that mean the same for matching, e.g. {"billing": {"invoice"}}.
	Synonyms map[string][]string
	// MinScore is the least intent overlap accepted as a match (default 0.3).
	MinScore float64
}

// Matcher picks the menu option that fits the call's intent, without an LLM.
type Matcher struct {
	groups   [][]string
	minScore float64
}

// builtinSynonyms are groups of words a caller and a menu use for the same thing.
var builtinSynonyms = [][]string{
	{"bill", "billing", "payment", "pay", "invoice", "charge", "balance", "statement"},
	{"dispute", "fraud", "unauthorized", "claim", "chargeback"},
	{"representative", "agent", "operator", "person", "associate", "human", "someone", "specialist", "advisor", "rep", "customer service"},
	{"technical", "tech", "support", "internet", "outage", "troubleshoot", "repair", "service issue"},
	{"cancel", "cancellation", "close", "disconnect"},
	{"order", "purchase", "shipping", "delivery", "package", "track"},
	{"account", "profile", "login", "password"},
	{"card", "credit", "debit", "lost", "stolen"},
	{"appointment", "schedule", "reschedule", "booking", "reservation"},
	{"sales", "buy", "new service", "upgrade", "plan"},
	{"pharmacy", "prescription", "refill"},
	{"claim", "insurance", "coverage", "benefit"},
}

// fallbackCues name the options that reach a person when nothing matches the intent,
// best first.
var fallbackCues = []string{"representative", "agent", "operator", "customer service", "associate", "speak", "person", "all other", "other", "anything else", "everything else"}

// NewMatcher returns a matcher with the built-in synonyms plus cfg's.
func NewMatcher(cfg MatcherConfig) *Matcher {
	m := &Matcher{minScore: cfg.MinScore}
	if m.minScore <= 0 {
		m.minScore = 0.3
	}
	for _, g := range builtinSynonyms {
		m.groups = append(m.groups, g)
	}
	for k, vs := range cfg.Synonyms {
		m.groups = append(m.groups, append([]string{k}, vs...))
	}
	return m
}

// Choice is the option the matcher picked and why.
type Choice struct {
	Option   MenuOption
	Score    float64
	Fallback bool // no option matched the intent; this one reaches a person or "other"
	Reason   string
}

// Action turns the choice into what the engine does: say the word if the option is spoken
// only, otherwise press the key.
func (c Choice) Action() Action {
	if c.Option.Key != "" {
		return Action{Kind: ActDTMF, Digits: c.Option.Key, Reason: c.Reason}
	}
	return Action{Kind: ActSpeak, Text: c.Option.Say, Reason: c.Reason}
}

// expand maps stems to synonym-group ids so "payment" meets "billing".
func (m *Matcher) expand(text string) map[string]bool {
	out := map[string]bool{}
	norm := " " + strings.Join(words(text), " ") + " "
	for _, s := range contentStems(text) {
		out[s] = true
	}
	for gi, g := range m.groups {
		for _, w := range g {
			if strings.Contains(w, " ") {
				if strings.Contains(norm, " "+w+" ") {
					out["#"+strconv.Itoa(gi)] = true
				}
			} else if out[stem(w)] {
				out["#"+strconv.Itoa(gi)] = true
			}
		}
	}
	return out
}

// Choose picks the best option for intent, or a fallback to a person; ok is false when the
// menu offers neither (the engine may ask the LLM, or wait for the menu to repeat).
func (m *Matcher) Choose(intent string, options []MenuOption) (Choice, bool) {
	ranked := m.rank(intent, options, false)
	if len(ranked) == 0 {
		return Choice{}, false
	}
	return ranked[0], true
}

// Escalate picks the next choice for a menu that came back after the options in tried were
// chosen (the company did not accept them): the next best option for the intent, then the
// representative/agent/operator fallbacks, then key 0 if the menu offers it. ok is false when
// every such option was tried.
func (m *Matcher) Escalate(intent string, options, tried []MenuOption) (Choice, bool) {
	var prev []string
	for _, t := range tried {
		prev = append(prev, optionName(t))
	}
	for _, c := range m.rank(intent, options, true) {
		if containsOption(tried, c.Option) {
			continue
		}
		c.Reason = "the menu came back after choosing " + strings.Join(prev, ", ") + "; next: " + c.Reason
		return c, true
	}
	return Choice{}, false
}

// rank orders the options worth choosing for intent: those matching it (best score first,
// then as heard), then the fallbacks to a person in fallbackCues order, and with zero also
// the key 0 as the last resort.
func (m *Matcher) rank(intent string, options []MenuOption, zero bool) []Choice {
	want := m.expand(intent)
	type scored struct {
		i     int
		score float64
	}
	var matches []scored
	for i, o := range options {
		if isNavigationOption(o.Label) {
			continue
		}
		have := m.expand(o.Label + " " + o.Say)
		if len(want) == 0 || len(have) == 0 {
			continue
		}
		n := 0
		for k := range have {
			if want[k] {
				n++
			}
		}
		if score := float64(n) / float64(min(len(want), len(have))); score >= m.minScore {
			matches = append(matches, scored{i, score})
		}
	}
	slices.SortStableFunc(matches, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	var out []Choice
	for _, s := range matches {
		out = append(out, Choice{Option: options[s.i], Score: s.score, Reason: "matches intent"})
	}
	for _, cue := range fallbackCues {
		for _, o := range options {
			if containsPhrase(words(o.Label+" "+o.Say), words(cue)) && !isNavigationOption(o.Label) && !chosen(out, o) {
				out = append(out, Choice{Option: o, Fallback: true, Reason: "no option matches the intent; " + cue})
			}
		}
	}
	if zero {
		for _, o := range options {
			if o.Key == "0" && !chosen(out, o) {
				out = append(out, Choice{Option: o, Fallback: true, Reason: "key 0 is offered"})
			}
		}
	}
	return out
}

func chosen(cs []Choice, o MenuOption) bool {
	for _, c := range cs {
		if c.Option == o {
			return true
		}
	}
	return false
}

// sameChoice says whether two options are the same action (same key, or the same words).
func sameChoice(a, b MenuOption) bool {
	if a.Key != "" || b.Key != "" {
		return a.Key == b.Key
	}
	return strings.EqualFold(a.Say, b.Say)
}

func containsOption(list []MenuOption, o MenuOption) bool {
	for _, x := range list {
		if sameChoice(x, o) {
			return true
		}
	}
	return false
}

// offers says whether list has o with the same label (keys are reused from menu to menu).
func offers(list []MenuOption, o MenuOption) bool {
	for _, x := range list {
		if sameChoice(x, o) && strings.EqualFold(x.Label, o.Label) {
			return true
		}
	}
	return false
}

// optionName is how a decision names an option: the words said, or "key N".
func optionName(o MenuOption) string {
	if o.Key != "" {
		return "key " + o.Key
	}
	return strconv.Quote(o.Say)
}

// MenuMemory remembers the menus a call answered and what it chose for each, so a menu that
// comes back (the company rejected or did not hear the choice) is answered differently
// instead of looping on the same choice until the company hangs up.
type MenuMemory struct {
	menus []answeredMenu
}

type answeredMenu struct {
	options []MenuOption
	chosen  []MenuOption
}

// Tried returns the choices already made for the menu these options belong to (nil for a
// menu not answered before).
func (mm *MenuMemory) Tried(options []MenuOption) []MenuOption {
	if mm == nil {
		return nil
	}
	if i := mm.find(options); i >= 0 {
		return mm.menus[i].chosen
	}
	return nil
}

// Chose records that choice was made for the menu of options.
func (mm *MenuMemory) Chose(options []MenuOption, choice MenuOption) {
	i := mm.find(options)
	if i < 0 {
		mm.menus = append(mm.menus, answeredMenu{options: slices.Clone(options), chosen: []MenuOption{choice}})
		return
	}
	am := &mm.menus[i]
	am.chosen = append(am.chosen, choice)
	for _, o := range options {
		if !offers(am.options, o) {
			am.options = append(am.options, o)
		}
	}
}

// find is the index of the answered menu these options belong to, or -1. A menu is the same
// when one of its earlier choices is offered again and at least half of the smaller menu's
// options are shared (a re-prompt may be heard only in part).
func (mm *MenuMemory) find(options []MenuOption) int {
	for i := len(mm.menus) - 1; i >= 0; i-- {
		am := mm.menus[i]
		hit := false
		for _, c := range am.chosen {
			hit = hit || offers(options, c)
		}
		shared := 0
		for _, o := range options {
			if offers(am.options, o) {
				shared++
			}
		}
		if hit && 2*shared >= min(len(options), len(am.options)) {
			return i
		}
	}
	return -1
}

// isNavigationOption marks options that only move within the menu.
func isNavigationOption(label string) bool {
	l := " " + strings.Join(words(label), " ") + " "
	for _, s := range []string{" repeat ", " main menu ", " previous menu ", " go back ", " return to ", " hear these options ", " espanol ", " spanish ", " en espanol "} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// MenuDecision is the matcher's answer for one transcript.
type MenuDecision struct {
	Options []MenuOption
	Choice  Choice
	OK      bool
}

// Decide parses transcript and chooses for intent; with no options it returns OK false and
// no Options, meaning "this was not a menu".
func (m *Matcher) Decide(intent, transcript string) MenuDecision {
	opts := ParseMenu(transcript)
	if len(opts) == 0 {
		return MenuDecision{}
	}
	c, ok := m.Choose(intent, opts)
	return MenuDecision{Options: opts, Choice: c, OK: ok}
}

// MenuEventData is the data of an ivr_menu_detected event: {transcript, options}.
func MenuEventData(transcript string, options []MenuOption) map[string]any {
	opts := make([]map[string]any, 0, len(options))
	for _, o := range options {
		m := map[string]any{"label": o.Label}
		if o.Key != "" {
			m["key"] = o.Key
		}
		if o.Say != "" {
			m["say"] = o.Say
		}
		opts = append(opts, m)
	}
	return map[string]any{"transcript": transcript, "options": opts}
}
