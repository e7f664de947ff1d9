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
// (or the sentences of it) whose audio the clip matches, by normalised cross-correlation of
// log-energy envelopes. A clip that matches nothing (music, tones, core sounds whose words it
// was never told, speech it did not render) is answered with "". It lets the demo and the
// tests run the service's real STT client (speech.NewOpenAISTT) against real audio that went
// through RTP, the jitter buffer, the VAD and the resampler, without a recognition model.
//
// The wire format is OpenAI's POST /v1/audio/transcriptions: multipart/form-data with "file"
// (a WAV) and "model"; the answer is {"text": "..."}.

// Recogniser tuning.
const (
	envHop = 10 // ms per envelope frame
	// envFloorDB is where quiet is clipped, relative to the clip's loudest frame, so silence
	// of any depth (digital zero, comfort noise) looks the same.
	envFloorDB = 45.0
	// minMatchCorr is the least correlation for a clip to be a known phrase.
	minMatchCorr = 0.72
	// minVoicedMs: clips with less voiced audio are answered "" (clicks, blips).
	minVoicedMs = 300
	// wholeShare: a clip covering this share of a phrase is answered with all of it.
	wholeShare = 0.8
	// shortClipMs and minShortCorr: clips with less voiced audio than this need a higher
	// correlation (a short envelope resembles some stretch of some phrase by chance).
	shortClipMs  = 1200
	minShortCorr = 0.8
	// minMargin is the least lead of the best text over the next-best different one.
	minMargin = 0.03
	// musicMargin: a clip is music when it matches the background within this of its best
	// phrase.
	musicMargin = 0.05
)

// phrase is one known utterance: its text and the envelope of the audio rendered for it.
type phrase struct {
	text string
	env  []float64
}

// Vocabulary is the set of phrases the transcription endpoint can recognise, and the
// background (the companies' hold music) that a clip may be instead of speech.
type Vocabulary struct {
	mu         sync.Mutex
	phrases    []phrase
	seen       map[string]bool
	background []phrase // text is the music's name
}

// addBackground registers a music loop (idempotent per name): a clip that matches it at least
// as well as any phrase is music the caller's VAD let through, and is answered "".
func (v *Vocabulary) addBackground(name string, samples []int16) {
	if len(samples) == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, b := range v.background {
		if b.text == name {
			return
		}
	}
	// The loop wraps: append its start so clips that span the seam match too.
	wrap := min(len(samples), 8000*10)
	loop := append(append(make([]int16, 0, len(samples)+wrap), samples...), samples[:wrap]...)
	v.background = append(v.background, phrase{text: name, env: envelope(loop, 8000)})
}

// add registers text with its rendered 8 kHz audio (idempotent per text).
func (v *Vocabulary) add(text string, samples []int16) {
	text = strings.TrimSpace(text)
	if text == "" || len(samples) == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil {
		v.seen = map[string]bool{}
	}
	key := fmt.Sprintf("%s\x00%d", text, len(samples))
	if v.seen[key] {
		return
	}
	v.seen[key] = true
	v.phrases = append(v.phrases, phrase{text: text, env: envelope(samples, 8000)})
}

// Len is the number of known phrases.
func (v *Vocabulary) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.phrases)
}

// Recognise returns the text of the known phrase (or its sentences) the clip matches, the
// correlation it matched with, and "" when nothing matches well enough: too little voiced
// audio, a correlation under the minimum (higher for short clips, which match something by
// chance more easily), no clear margin over the next-best different text, or a clip that
// matches the hold music at least as well (music the caller's VAD let through).
func (v *Vocabulary) Recognise(samples []int16, rate int) (string, float64) {
	m := v.match(samples, rate)
	return m.accept()
}

// matchResult is how a clip compares with the vocabulary.
type matchResult struct {
	voicedMs   int
	text       string  // the best phrase's covered text
	best       float64 // its correlation
	second     float64 // the best correlation of a different text
	secondText string
	music      float64 // the best correlation with the background
}

// accept applies the decision rules to a match.
func (m matchResult) accept() (string, float64) {
	switch {
	case m.voicedMs < minVoicedMs || m.text == "":
		return "", m.best
	case m.best < minMatchCorr:
		return "", m.best
	case m.voicedMs < shortClipMs && m.best < minShortCorr:
		return "", m.best
	case m.best-m.second < minMargin:
		return "", m.best
	case m.music > 0 && m.music+musicMargin >= m.best:
		return "", m.best
	}
	return m.text, m.best
}

// match compares a clip with every phrase and the background.
func (v *Vocabulary) match(samples []int16, rate int) matchResult {
	if rate != 8000 {
		samples = audio.Resample(samples, rate, 8000)
	}
	clip := envelope(samples, 8000)
	res := matchResult{voicedMs: voiced(clip) * envHop}
	if res.voicedMs < minVoicedMs {
		return res
	}
	clip = trimQuiet(clip)
	v.mu.Lock()
	phrases, background := v.phrases, v.background
	v.mu.Unlock()
	type cand struct {
		text string
		corr float64
	}
	cands := make([]cand, 0, len(phrases))
	for _, p := range phrases {
		corr, from, to := bestAlignment(clip, p.env)
		cands = append(cands, cand{cover(p, from, to), corr})
	}
	for _, c := range cands {
		if c.corr > res.best {
			res.best, res.text = c.corr, c.text
		}
	}
	for _, c := range cands {
		if c.text != res.text && !strings.Contains(res.text, c.text) && !strings.Contains(c.text, res.text) && c.corr > res.second {
			res.second, res.secondText = c.corr, c.text
		}
	}
	for _, b := range background {
		res.music = max(res.music, slide(clip, b.env))
	}
	return res
}

// envelope is the log energy of each envHop-ms frame, clipped envFloorDB below the loudest.
func envelope(s []int16, rate int) []float64 {
	n := rate * envHop / 1000
	out := make([]float64, 0, len(s)/n+1)
	peak := -200.0
	for i := 0; i+n <= len(s); i += n {
		var sum float64
		for _, x := range s[i : i+n] {
			sum += float64(x) * float64(x)
		}
		db := 10 * math.Log10(sum/float64(n)+1)
		out = append(out, db)
		peak = max(peak, db)
	}
	for i := range out {
		out[i] = max(out[i], peak-envFloorDB)
	}
	return out
}

// voiced counts frames within 25 dB of the loudest.
func voiced(env []float64) int {
	peak := -200.0
	for _, x := range env {
		peak = max(peak, x)
	}
	n := 0
	for _, x := range env {
		if x > peak-25 {
			n++
		}
	}
	return n
}

// trimQuiet drops the quiet (pre-roll, post-roll) at both ends of a clip.
func trimQuiet(env []float64) []float64 {
	peak := -200.0
	for _, x := range env {
		peak = max(peak, x)
	}
	lo, hi := 0, len(env)
	for lo < hi && env[lo] < peak-30 {
		lo++
	}
	for hi > lo && env[hi-1] < peak-30 {
		hi--
	}
	return env[lo:hi]
}

// bestAlignment slides clip over ref and returns the best Pearson correlation with the
// window of ref it overlaps (in ref frames). The clip must lie within ref, give or take a
// little at each end (the VAD's cut points are not the renderer's).
func bestAlignment(clip, ref []float64) (float64, int, int) {
	n, m := len(clip), len(ref)
	if n == 0 || m == 0 || n > m+m/5+20 {
		return 0, 0, 0
	}
	slack := 60 // frames a clip may stick out of ref at either end
	best, bestLag := -1.0, 0
	for lag := -slack; lag <= m-n+slack; lag++ {
		lo, hi := max(0, -lag), min(n, m-lag)
		if hi-lo < n*4/5 {
			continue
		}
		c := pearson(clip[lo:hi], ref[lo+lag:hi+lag])
		if c > best {
			best, bestLag = c, lag
		}
	}
	return best, max(0, bestLag), min(m, bestLag+n)
}

// slide is the best Pearson correlation of clip with any equally long window of a long ref
// (hold music), searched every other frame and refined around the best, with running window
// sums so each lag costs one dot product.
func slide(clip, ref []float64) float64 {
	n, m := len(clip), len(ref)
	if n < 2 || m < n {
		return 0
	}
	var sc, scc float64
	for _, x := range clip {
		sc += x
		scc += x * x
	}
	fn := float64(n)
	vc := scc - sc*sc/fn
	if vc <= 0 {
		return 0
	}
	sum := make([]float64, m+1)
	sq := make([]float64, m+1)
	for i, x := range ref {
		sum[i+1] = sum[i] + x
		sq[i+1] = sq[i] + x*x
	}
	at := func(lag int) float64 {
		w := ref[lag : lag+n]
		var dot float64
		for i, x := range clip {
			dot += x * w[i]
		}
		sr := sum[lag+n] - sum[lag]
		vr := sq[lag+n] - sq[lag] - sr*sr/fn
		if vr <= 0 {
			return 0
		}
		return (dot - sc*sr/fn) / math.Sqrt(vc*vr)
	}
	best, bestLag := -1.0, 0
	for lag := 0; lag+n <= m; lag += 2 {
		if c := at(lag); c > best {
			best, bestLag = c, lag
		}
	}
	for _, lag := range []int{bestLag - 1, bestLag + 1} {
		if lag >= 0 && lag+n <= m {
			best = max(best, at(lag))
		}
	}
	return best
}

func pearson(a, b []float64) float64 {
	n := float64(len(a))
	var sa, sb float64
	for i := range a {
		sa += a[i]
		sb += b[i]
	}
	ma, mb := sa/n, sb/n
	var cov, va, vb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		cov += da * db
		va += da * da
		vb += db * db
	}
	if va == 0 || vb == 0 {
		return 0
	}
	return cov / math.Sqrt(va*vb)
}

// cover is the text of the part [from, to) of phrase p: all of it when the clip covers most
// of it, else the sentences whose middle lies inside, placed by their share of the letters,
// and "" when no sentence's middle does.
func cover(p phrase, from, to int) string {
	m := len(p.env)
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

// Word recognition tuning for spoken menus: the least correlation, the least lead over the
// next word, and how far the length of what was said may differ from the word's.
const (
	minWordCorr   = 0.6
	minWordMargin = 0.05
	wordLenRatio  = 1.7
)

// recogniseWord says which of the menu's Speech words clip is, or "" for none of them: the
// menu's closed vocabulary, matched like the transcription endpoint's phrases. Only words of
// about the clip's length are candidates; the best needs a good correlation and a clear lead.
func (m *Menu) recogniseWord(clip []int16) string {
	env := envelope(clip, 8000)
	if voiced(env)*envHop < int(wordMinDuration/time.Millisecond) {
		return ""
	}
	env = trimQuiet(env)
	best, second, word, fits := -1.0, -1.0, "", 0
	for _, w := range m.words {
		r := float64(len(env)) / float64(len(w.env))
		if r > wordLenRatio || r < 1/wordLenRatio {
			continue
		}
		fits++
		c, _, _ := bestAlignment(env, w.env)
		switch {
		case c > best:
			best, second, word = c, best, w.text
		case c > second:
			second = c
		}
	}
	switch {
	case fits == 0:
		return ""
	case best >= minWordCorr && best-second >= minWordMargin:
		return word
	}
	return ""
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
