package classifier

import (
	"math"
	"math/bits"
)

// Hold systems loop the same recordings: an announcement comes back every
// 30-60 s, and a short music file starts over. A person never says the same
// thing twice with the same timing and timbre, so speech that matches audio
// heard earlier in the call is a recording, whatever it sounds like. The
// matching uses a per-frame fingerprint in the manner of Haitsma and Kalker:
// echoBands+1 log-spaced bands over 300-3400 Hz, one bit per pair of
// neighbouring bands telling whether the ratio of their energies grew over
// the last 40 ms. Steady colouring (codec, band-limiting, a steady noise
// floor) cancels out of such bits; what is left is how the sound moves.
// Each energy is summed over two frames, and compared two frames back:
// with our 20 ms hop, one-frame differences were mostly the music or noise
// under a replayed announcement. On the train and validation calls (268
// announcements heard again, 662 agent onsets), one-frame bits put the
// replays at a median of 0.31 differing bits and the agents' best match
// against their call at 0.24-0.42; these bits put the replays at 0.25 and
// the agents at 0.28 or more (5th percentile 0.39).
const (
	echoBands = 16 // bits per frame
	// echoFrames: how far back the memory reaches (120 s, more than the
	// usual announcement period).
	echoFrames = 6000
	// echoMinFrames: loud frames a candidate needs before it can be matched
	// (0.4 s), so that chance agreement is out of the question: at 16 bits a
	// frame, 20 frames are 320 bits, and unrelated audio agrees on half of
	// them with a standard deviation of 2.8 %.
	echoMinFrames = 20
	// echoQueryFrames: the most recent frames of a candidate compared (1 s).
	echoQueryFrames = 50
	// echoMaxBER: the share of differing bits up to which the candidate is
	// taken for a repeat. Unrelated audio sits near 0.5 (7 to 11 standard
	// deviations away for 20 to 50 frames, but the best of thousands of
	// alignments reaches 0.37-0.45); the same recording played again over other music or noise
	// mostly stays below. At 0.30: 210 of 268 replays caught, 1 of 662 agent
	// onsets taken for one (a corpus agent spliced from the same prompt
	// file as an earlier announcement).
	echoMaxBER = 0.30
	// echoMinDB: frames quieter than this are not compared (their band
	// energies are too close to nothing for the bits to mean anything).
	echoMinDB = -60.0
	// echoMinShift: a repeat must lie at least this far back (8 s). Hold
	// loops repeat after tens of seconds; within a few seconds the same
	// words are more likely one speaker's (the corpus's recorded agents
	// reuse a prompt within their greeting, matching at 1.2-3.3 s).
	echoMinShift = 400
)

// printer turns power spectra into fingerprint words. Band energies are
// compared as products (a/b > c/d as a*d > b*c), so no logarithms are taken.
type printer struct {
	edges [echoBands + 2]int
	e     [4][echoBands + 1]float64 // band energies of the last four frames
	pos   int                       // slot of the newest
}

// newPrinter places the band edges (FFT bins at 8 kHz) log-spaced over
// 300-3400 Hz.
func newPrinter() *printer {
	p := &printer{}
	lo, hi := bandLoHz, bandHiHz
	for i := range p.edges {
		f := lo * math.Pow(hi/lo, float64(i)/float64(echoBands+1))
		p.edges[i] = int(f/binHz + 0.5)
	}
	return p
}

// word returns the fingerprint of this spectrum and the previous one against
// the two before them.
func (p *printer) word(sp []float64) uint16 {
	p.pos = (p.pos + 1) % 4
	e := &p.e[p.pos]
	for b := range e {
		s := 1e-3 // keeps digital silence from multiplying to zero
		for k := p.edges[b]; k < p.edges[b+1]; k++ {
			s += sp[k]
		}
		e[b] = s
	}
	e1, e2, e3 := &p.e[(p.pos+3)%4], &p.e[(p.pos+2)%4], &p.e[(p.pos+1)%4]
	var w uint16
	for m := 0; m < echoBands; m++ {
		// now = the last two frames, then = the two before them:
		// (now[m]/now[m+1]) / (then[m]/then[m+1]) > 1
		now0, now1 := e[m]+e1[m], e[m+1]+e1[m+1]
		then0, then1 := e2[m]+e3[m], e2[m+1]+e3[m+1]
		if now0*then1 > now1*then0 {
			w |= 1 << m
		}
	}
	return w
}

// reset forgets the previous spectra.
func (p *printer) reset() { p.e, p.pos = [4][echoBands + 1]float64{}, 0 }

// echoMemory remembers the fingerprints of the last echoFrames frames,
// oldest overwritten first, and whether each of the last echoQueryFrames is
// worth comparing (loud enough; see HumanDetector.Process): only a query
// reads that, and only of its own frames. A word's flag sits at its slot
// modulo echoQueryFrames, which echoFrames is a multiple of.
type echoMemory struct {
	words [echoFrames]uint16
	loud  [echoQueryFrames]bool
	pos   int // next slot
	n     int // frames stored
}

// The loud ring stays in step with the words across the wrap only if
// echoQueryFrames divides echoFrames; otherwise this fails to compile.
var _ = [1]struct{}{}[echoFrames%echoQueryFrames]

// push stores one frame.
func (m *echoMemory) push(w uint16, loud bool) {
	m.words[m.pos], m.loud[m.pos%echoQueryFrames] = w, loud
	m.pos = (m.pos + 1) % echoFrames
	m.n = min(m.n+1, echoFrames)
}

// slot returns where the frame stored back frames ago (0: the latest) is.
func (m *echoMemory) slot(back int) int { return (m.pos - 1 - back + 2*echoFrames) % echoFrames }

// echoQuery is the loud frames among the last few: their words and how
// many frames back each lies.
type echoQuery struct {
	w    [echoQueryFrames]uint16
	back [echoQueryFrames]int
	n    int
}

// query gathers the frames worth comparing among the last q (at most
// echoQueryFrames).
func (m *echoMemory) query(q int) echoQuery {
	var eq echoQuery
	for back := 0; back < min(q, echoQueryFrames, m.n); back++ {
		if i := m.slot(back); m.loud[i%echoQueryFrames] {
			eq.w[eq.n], eq.back[eq.n] = m.words[i], back
			eq.n++
		}
	}
	return eq
}

// errs counts the bits in which the query differs from the frames shift
// earlier, stopping once the count reaches limit.
func (m *echoMemory) errs(eq *echoQuery, shift, limit int) int {
	errs := 0
	for j := 0; j < eq.n && errs < limit; j++ {
		errs += bits.OnesCount16(m.words[m.slot(eq.back[j]+shift)] ^ eq.w[j])
	}
	return errs
}

// at returns the share of differing bits between the last q frames (at most
// echoQueryFrames; the ones worth comparing among them) and the frames shift
// earlier, and how many frames it compared: one alignment, where repeat
// searches them all. It is 1, 0 when the memory does not reach that far.
func (m *echoMemory) at(q, shift int) (float64, int) {
	if shift < 1 || shift+min(q, echoQueryFrames, m.n) > m.n {
		return 1, 0
	}
	eq := m.query(q)
	if eq.n == 0 {
		return 1, 0
	}
	return float64(m.errs(&eq, shift, eq.n*echoBands)) / float64(eq.n*echoBands), eq.n
}

// repeat compares the last q frames (at most echoQueryFrames; the ones worth
// comparing among them) with every earlier stretch of the memory that lies
// echoMinShift or more back, and returns the lowest share of differing bits
// found (1 when there were too few frames to compare or too little memory)
// and how many frames back that stretch lies. The search is O(memory x q)
// and runs once per candidate decision, not per frame.
func (m *echoMemory) repeat(q int) (float64, int) {
	q = min(q, echoQueryFrames, m.n)
	eq := m.query(q)
	if eq.n < echoMinFrames {
		return 1, 0
	}
	bestShift := 0
	best := eq.n * echoBands
	// shift: how many frames earlier the candidate stretch would have been heard.
	for shift := max(q, echoMinShift); shift+q <= m.n; shift++ {
		if errs := m.errs(&eq, shift, best); errs < best {
			best, bestShift = errs, shift
		}
	}
	return float64(best) / float64(eq.n*echoBands), bestShift
}
