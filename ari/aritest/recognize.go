package aritest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/holdslayer/holdslayer/app/audio"
)

// The simulated companies' transcription endpoint.
//
// THIS IS NOT SPEECH RECOGNITION. It is a closed-vocabulary recogniser for the simulated
// companies only: it knows every phrase the running scenarios render with espeak-ng (menu
// prompts, announcements, agent greetings and replies, device greetings) together with the
// audio it rendered for them, and it answers an uploaded clip with the text of the phrase
// (or the sentences of it) whose audio the clip matches, by aligning spectral features with
// dynamic time warping (align.go), which survives dropped, doubled and delayed frames. A clip
// that matches nothing (music, tones, core sounds whose words it was never told, speech it did
// not render) is answered with "". It lets the demo and the
// tests run the service's real STT client (speech.NewOpenAISTT) against real audio that went
// through RTP, the jitter buffer, the VAD and the resampler, without a recognition model.
//
// The wire format is OpenAI's POST /v1/audio/transcriptions: multipart/form-data with "file"
// (a WAV) and "model"; the answer is {"text": "..."}.

// Recogniser tuning. Costs are mean frame distances in dB after alignment (see align.go).
const (
	// maxMatchCost is the most a clip may cost to be a known phrase.
	maxMatchCost = 4.0
	// minVoicedMs: clips with less voiced audio are answered "" (clicks, blips).
	minVoicedMs = 300
	// wholeShare: a clip covering this share of a phrase is answered with all of it.
	wholeShare = 0.8
	// shortClipMs and maxShortCost: clips with less voiced audio than this need a lower
	// cost (a short clip resembles some stretch of some phrase by chance).
	shortClipMs  = 1200
	maxShortCost = 3.2
	// minMargin is the least lead (in cost) of the best text over the next-best different one.
	minMargin = 1.0
	// musicMargin: a clip is music when its cost against the background is not at least this
	// much above its best phrase's (both at the coarse resolution the music search uses).
	musicMargin = 0.5
)

// phrase is one known utterance: its text and the features of the audio rendered for it.
type phrase struct {
	text string
	f    feats
}

// Vocabulary is the set of phrases the transcription endpoint can recognise, and the
// background (the companies' hold music) that a clip may be instead of speech.
type Vocabulary struct {
	mu         sync.Mutex
	phrases    []phrase
	seen       map[string]bool
	background []phrase // text is the music's name; features at the coarse resolution
}

// addBackground registers a music loop (idempotent per name): a clip that matches it at least
// as well as any phrase is music the caller's VAD let through, and is answered "".
func (v *Vocabulary) addBackground(name string, samples []int16) {
	if len(samples) == 0 {
		return
	}
	v.mu.Lock()
	for _, b := range v.background {
		if b.text == name {
			v.mu.Unlock()
			return
		}
	}
	v.mu.Unlock()
	// The loop wraps: append its start so clips that span the seam match too.
	wrap := min(len(samples), 8000*10)
	loop := append(append(make([]int16, 0, len(samples)+wrap), samples...), samples[:wrap]...)
	f := features(loop).halve()
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, b := range v.background {
		if b.text == name {
			return
		}
	}
	v.background = append(v.background, phrase{text: name, f: f})
}

// add registers text with its rendered 8 kHz audio (idempotent per text).
func (v *Vocabulary) add(text string, samples []int16) {
	text = strings.TrimSpace(text)
	if text == "" || len(samples) == 0 {
		return
	}
	key := fmt.Sprintf("%s\x00%d", text, len(samples))
	v.mu.Lock()
	if v.seen == nil {
		v.seen = map[string]bool{}
	}
	if v.seen[key] {
		v.mu.Unlock()
		return
	}
	v.seen[key] = true
	v.mu.Unlock()
	f, _ := features(samples).trim()
	v.mu.Lock()
	defer v.mu.Unlock()
	v.phrases = append(v.phrases, phrase{text: text, f: f})
}

// Len is the number of known phrases.
func (v *Vocabulary) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.phrases)
}

// Recognise returns the text of the known phrase (or its sentences) the clip matches, the
// alignment cost it matched with, and "" when nothing matches well enough: too little voiced
// audio, a cost over the maximum (lower for short clips, which match something by chance
// more easily), no clear margin over the next-best different text, or a clip that matches the
// hold music about as well (music the caller's VAD let through).
func (v *Vocabulary) Recognise(samples []int16, rate int) (string, float64) {
	m := v.match(samples, rate)
	return m.accept()
}

// matchResult is how a clip compares with the vocabulary.
type matchResult struct {
	voicedMs   int
	text       string  // the best phrase's covered text
	best       float64 // its alignment cost
	second     float64 // the best cost of a different text
	secondText string
	coarse     float64 // the best phrase's cost at the music search's resolution
	music      float64 // the best cost against the background
}

// accept applies the decision rules to a match.
func (m matchResult) accept() (string, float64) {
	switch {
	case m.voicedMs < minVoicedMs || m.text == "":
		return "", m.best
	case m.best > maxMatchCost:
		return "", m.best
	case m.voicedMs < shortClipMs && m.best > maxShortCost:
		return "", m.best
	case m.second-m.best < minMargin:
		return "", m.best
	case m.music <= m.coarse+musicMargin:
		return "", m.best
	}
	return m.text, m.best
}

// match compares a clip with every phrase and the background.
func (v *Vocabulary) match(samples []int16, rate int) matchResult {
	if rate != 8000 {
		samples = audio.Resample(samples, rate, 8000)
	}
	inf := math.Inf(1)
	res := matchResult{best: inf, second: inf, coarse: inf, music: inf}
	clip, _ := features(samples).trim()
	res.voicedMs = clip.voicedFrames() * featHop / 8
	if res.voicedMs < minVoicedMs {
		return res
	}
	v.mu.Lock()
	phrases, background := v.phrases, v.background
	v.mu.Unlock()
	type cand struct {
		text string
		cost float64
		p    phrase
	}
	cands := make([]cand, 0, len(phrases))
	var bestP phrase
	for _, p := range phrases {
		a := align(clip, p.f)
		c := cand{cover(p, a.from, a.to), a.cost, p}
		cands = append(cands, c)
		if c.cost < res.best {
			res.best, res.text, bestP = c.cost, c.text, p
		}
	}
	for _, c := range cands {
		if c.text != res.text && !strings.Contains(res.text, c.text) && !strings.Contains(c.text, res.text) && c.cost < res.second {
			res.second, res.secondText = c.cost, c.text
		}
	}
	if res.text == "" || len(background) == 0 {
		return res
	}
	coarse := clip.halve()
	res.coarse = align(coarse, bestP.f.halve()).cost
	for _, b := range background {
		res.music = min(res.music, align(coarse, b.f).cost)
	}
	return res
}

// cover is the text of the part [from, to) of phrase p: all of it when the clip covers most
// of it, else the sentences whose middle lies inside, placed by their share of the letters,
// and "" when no sentence's middle does.
func cover(p phrase, from, to int) string {
	m := p.f.len()
	if float64(to-from) >= wholeShare*float64(m) {
		return p.text
	}
	sents := sentences(p.text)
	total := 0
	for _, s := range sents {
		total += len(s)
	}
	var out []string
	pos := 0
	for _, s := range sents {
		mid := float64(pos+len(s)/2) / float64(total) * float64(m)
		pos += len(s)
		if mid >= float64(from) && mid < float64(to) {
			out = append(out, strings.TrimSpace(s))
		}
	}
	if len(out) == 0 {
		// A sliver of the phrase (its last syllables before music, say): no sentence to name.
		return ""
	}
	return strings.Join(out, " ")
}

// sentences splits text after . ? ! keeping the marks.
func sentences(text string) []string {
	var out []string
	start := 0
	rs := []rune(text)
	for i, r := range rs {
		if (r == '.' || r == '?' || r == '!') && (i+1 == len(rs) || unicode.IsSpace(rs[i+1])) {
			out = append(out, string(rs[start:i+1]))
			start = i + 1
		}
	}
	if start < len(rs) && strings.TrimSpace(string(rs[start:])) != "" {
		out = append(out, string(rs[start:]))
	}
	return out
}

// callerVoice is the voice a menu expects its words in: espeak-ng's en-us at 160 words a
// minute, the service's local text-to-speech default.
const callerVoice = "en-us"

// Word recognition tuning for spoken menus: the most a word may cost, the least lead over
// the next word, and how far the voiced length of what was said may differ from the word's.
const (
	maxWordCost   = 3.8
	minWordMargin = 1.0
	wordLenRatio  = 1.7
)

// recogniseWord says which of the menu's Speech words clip is, or "" for none of them: the
// menu's closed vocabulary, aligned like the transcription endpoint's phrases. Only words of
// about the clip's voiced length are candidates; the best needs a low cost and a clear lead.
func (m *Menu) recogniseWord(clip []int16) string {
	w, _, _ := m.matchWord(clip)
	return w
}

// matchWord is recogniseWord with the best and second-best costs, for tests and logs.
func (m *Menu) matchWord(clip []int16) (string, float64, float64) {
	f, _ := features(clip).trim()
	inf := math.Inf(1)
	voicedN := f.voicedFrames()
	if voicedN*featHop/8 < int(wordMinDuration/time.Millisecond) {
		return "", inf, inf
	}
	best, second, word, fits := inf, inf, "", 0
	for _, w := range m.words {
		r := float64(voicedN) / float64(max(1, w.f.voicedFrames()))
		if r > wordLenRatio || r < 1/wordLenRatio {
			continue
		}
		fits++
		c := align(f, w.f).cost
		switch {
		case c < best:
			best, second, word = c, best, w.text
		case c < second:
			second = c
		}
	}
	if fits > 0 && best <= maxWordCost && second-best >= minWordMargin {
		return word, best, second
	}
	return "", best, second
}

// vocabulary collects every rendered `say` phrase of sc.
func (sc *Scenario) vocabulary(v *Vocabulary) {
	addList := func(list []Audio) {
		for _, a := range list {
			if a.Say != "" {
				v.add(a.Say, a.samples)
			}
		}
	}
	for _, st := range sc.Steps {
		addList(st.Play)
		if m := st.Menu; m != nil {
			addList(m.Prompt)
			addList(m.Invalid)
			addList(m.NoInput)
		}
		if h := st.Hold; h != nil {
			addList(h.Announce)
		}
		if a := st.Agent; a != nil {
			v.add(a.Greeting, a.greeting)
			for i, r := range a.Replies {
				if i < len(a.replies) {
					v.add(r, a.replies[i])
				}
			}
			v.add("Hello? Are you still there?", a.prompt)
		}
	}
}

// STTBaseURL is the OpenAI-compatible base URL of the simulated companies' transcription
// endpoint (closed vocabulary, see Vocabulary), for speech.STTConfig.BaseURL.
func (s *Server) STTBaseURL() string { return "http://" + s.addr + "/v1/" }

// Vocabulary is what the transcription endpoint recognises.
func (s *Server) Vocabulary() *Vocabulary { return s.vocab }

// serveTranscription answers POST /v1/audio/transcriptions like OpenAI's endpoint.
func (s *Server) serveTranscription(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeOAIError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeOAIError(w, http.StatusBadRequest, "invalid multipart body: "+err.Error())
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		writeOAIError(w, http.StatusBadRequest, "missing file: "+err.Error())
		return
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 32<<20))
	if err != nil {
		writeOAIError(w, http.StatusBadRequest, "read file: "+err.Error())
		return
	}
	pcm, err := audio.ReadWAV(bytes.NewReader(b))
	if err != nil {
		writeOAIError(w, http.StatusBadRequest, "file is not a readable WAV: "+err.Error())
		return
	}
	m := s.vocab.match(pcm.Samples, pcm.Rate)
	text, _ := m.accept()
	s.log.Debug("transcription", "seconds", pcm.Duration(), "text", text, "best", m.text, "corr", m.best,
		"second", m.second, "music", m.music, "voiced_ms", m.voicedMs)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"text": text})
}

func writeOAIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error"}})
}

// sortedTexts lists the known phrases, for diagnostics.
func (v *Vocabulary) sortedTexts() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]string, 0, len(v.phrases))
	for _, p := range v.phrases {
		out = append(out, p.text)
	}
	sort.Strings(out)
	return out
}
