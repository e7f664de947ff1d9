package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/holdslayer/holdslayer/classifier"
)

// clipLabel runs a fresh pipeline over s and returns the smoothed label that
// covers most frames after the warm-up.
func clipLabel(s []int16) classifier.Label {
	p, _ := classifier.NewPipeline(8000, classifier.Config{})
	count := map[classifier.Label]int{}
	for i, f := 0, 0; i+160 <= len(s); i, f = i+160, f+1 {
		r := p.Process(s[i : i+160])
		if f >= warmupFrames {
			count[r.Current]++
		}
	}
	best := classifier.Unknown
	for _, l := range classifier.AllLabels {
		if count[l] > count[best] {
			best = l
		}
	}
	return best
}

// scoreClips prints per-class precision, recall and F1, the confusion
// matrix and the accuracy per condition of the split's clips, and returns
// the macro-F1 (the target: at least 0.98 on the held-out clips).
func scoreClips(w io.Writer, dir string, clips []clip, split string, verbose bool) (float64, error) {
	labels := classifier.AllLabels
	idx := map[classifier.Label]int{}
	for i, l := range labels {
		idx[l] = i
	}
	conf := make([][]int, len(labels))
	for i := range conf {
		conf[i] = make([]int, len(labels))
	}
	condOK, condN := map[string]int{}, map[string]int{}
	var wrong []string
	n := 0
	for _, c := range clips {
		if c.split != split {
			continue
		}
		s, err := load(dir, c.file)
		if err != nil {
			return 0, err
		}
		got := clipLabel(s)
		truth := classifier.Label(c.label)
		conf[idx[truth]][idx[got]]++
		condN[c.cond]++
		if got == truth {
			condOK[c.cond]++
		} else {
			wrong = append(wrong, fmt.Sprintf("  %s: want %s got %s (%s)", c.file, truth, got, c.source))
		}
		n++
	}
	fmt.Fprintf(w, "== clips, split %s: %d clips ==\n", split, n)
	fmt.Fprintf(w, "%-8s %9s %7s %7s %5s\n", "label", "precision", "recall", "F1", "n")
	var macro float64
	nl := 0
	for i, l := range labels {
		tp, fp, fn := conf[i][i], 0, 0
		for j := range labels {
			if j != i {
				fp += conf[j][i]
				fn += conf[i][j]
			}
		}
		support := tp + fn
		if support == 0 {
			continue
		}
		prec, rec := ratio(tp, tp+fp), ratio(tp, tp+fn)
		f1 := 0.0
		if prec+rec > 0 {
			f1 = 2 * prec * rec / (prec + rec)
		}
		macro += f1
		nl++
		fmt.Fprintf(w, "%-8s %9.3f %7.3f %7.3f %5d\n", l, prec, rec, f1, support)
	}
	fmt.Fprintf(w, "macro-F1 %.4f\n\nconfusion (rows truth, columns predicted)\n%-8s", macro/float64(nl), "")
	for _, l := range labels {
		fmt.Fprintf(w, " %7.7s", l)
	}
	fmt.Fprintln(w)
	for i, l := range labels {
		fmt.Fprintf(w, "%-8s", l)
		for j := range labels {
			fmt.Fprintf(w, " %7d", conf[i][j])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\naccuracy per condition")
	var conds []string
	for c := range condN {
		conds = append(conds, c)
	}
	sort.Strings(conds)
	for _, c := range conds {
		fmt.Fprintf(w, "  %-8s %.3f (%d/%d)\n", c, ratio(condOK[c], condN[c]), condOK[c], condN[c])
	}
	if verbose {
		fmt.Fprintln(w, "misclassified:")
		for _, s := range wrong {
			fmt.Fprintln(w, s)
		}
	}
	fmt.Fprintln(w)
	return macro / float64(nl), nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func scoreTimelines(w io.Writer, dir, split string, evidence bool) error {
	rows, err := readTSV(filepath.Join(dir, "timelines.tsv"))
	if err != nil {
		return err
	}
	before, err := lastHeldBefore(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "== timelines, split %s ==\n", split)
	// agents: each call with a person's latency, +Inf when missed.
	var agents []float64
	holdups := map[string]int{}
	falseTransfers, missed, humans, calls := 0, 0, 0, 0
	styles := map[string]*styleStats{}
	after := map[string]*styleStats{}
	for _, r := range rows {
		if len(r) < 5 || r[1] != split || fold && foldLearn[r[0]] || foldMusic != "" && !strings.Contains(r[4], "hold("+foldMusic) {
			continue
		}
		calls++
		onset, _ := strconv.ParseFloat(r[2], 64)
		s, err := load(dir, r[0])
		if err != nil {
			return err
		}
		lost := loseFrames(s, loseShare, r[0])
		p, _ := classifier.NewPipeline(8000, classifier.Config{})
		var events []string
		detected := -1.0
		bad := 0
		looked := onset < 0
		for i := 0; i+160 <= len(s); i += 160 {
			res := feed(p, s, i, lost)
			if !looked && float64(i+160)/8000 >= onset+lateLimit {
				looked = true
				if detected < 0 {
					holdups[holdupName(p.HumanHoldup(), bad)]++
				}
			}
			for _, d := range res.Detections {
				at := d.At.Seconds()
				events = append(events, fmt.Sprintf("%s@%.2f(%.2f)", d.Kind, at, d.Confidence))
				if d.Kind != classifier.HumanDetected {
					continue
				}
				if evidence {
					ev := d.Evidence
					fmt.Fprintf(w, "    evidence %s at %.2f onset %.2f truth %.2f: fast %v gap %.2fs bed %.3f som %.3f level %+.1f dB hold %.1fs %s voice %+.1f st\n",
						filepath.Base(r[0]), at, d.Onset.Seconds(), onset, ev.Fast, ev.SilenceBeforeSpeech.Seconds(), ev.MusicBedProb,
						ev.SpeechOverMusicShare, ev.LevelChangeDB, ev.HoldDuration.Seconds(), ev.HoldAudio, ev.VoiceChangeST)
				}
				if onset < 0 || at < onset {
					bad++
				} else if detected < 0 {
					detected = at
				}
			}
		}
		verdict := "ok"
		switch {
		case bad > 0:
			falseTransfers += bad
			verdict = "FALSE TRANSFER"
		case onset >= 0 && detected < 0:
			missed++
			verdict = "MISSED"
		}
		if onset >= 0 {
			humans++
			if detected >= 0 {
				verdict += fmt.Sprintf(" latency %.2fs", detected-onset)
				agents = append(agents, detected-onset)
			} else {
				agents = append(agents, math.Inf(1))
			}
		}
		fmt.Fprintf(w, "  %-34s onset %7s  %-22s %v\n", filepath.Base(r[0]), r[2], verdict, events)
		addTo(styles, announcementStyle(r[4]), onset, detected, bad)
		if onset >= 0 {
			addTo(after, answeredAfter(r[4], before[r[0]]), onset, detected, bad)
		}
	}
	var lat []float64 // the found agents'
	for _, a := range agents {
		if !math.IsInf(a, 1) {
			lat = append(lat, a)
		}
	}
	sort.Float64s(lat)
	fmt.Fprintf(w, "calls %d, with human %d, detected %d, missed %d, false human detections %d\n",
		calls, humans, len(lat), missed, falseTransfers)
	if len(lat) > 0 {
		fmt.Fprintf(w, "latency from human onset: median %.2fs p90 %.2fs max %.2fs\n",
			quantile(lat, 0.5), quantile(lat, 0.9), lat[len(lat)-1])
		printSpread(w, agents)
	}
	printHoldups(w, holdups)
	fmt.Fprintln(w, "by announcement style (over: music under the voice; ducked; stopped: music cut for the voice):")
	printStats(w, styles)
	fmt.Fprintln(w, "calls with a person, by what played when the person answered (announcement .../cut: cut off by")
	fmt.Fprintln(w, "the pickup; .../finished: played to its end first):")
	printStats(w, after)
	return nil
}

func printStats(w io.Writer, m map[string]*styleStats) {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		st := m[k]
		sort.Float64s(st.lat)
		fmt.Fprintf(w, "  %-16s calls %3d, with human %2d, detected %2d, false human %2d", k, st.calls, st.humans, len(st.lat), st.falseHuman)
		if len(st.lat) > 0 {
			fmt.Fprintf(w, ", latency median %.2fs p90 %.2fs, within 2 s %d", quantile(st.lat, 0.5), quantile(st.lat, 0.9), within(st.lat, 2))
		}
		fmt.Fprintln(w)
	}
}

// within counts the latencies of at most limit seconds.
func within(lat []float64, limit float64) int {
	n := 0
	for _, l := range lat {
		if l <= limit {
			n++
		}
	}
	return n
}

// styleStats are the timeline results of one group of calls.
type styleStats struct {
	calls, humans, falseHuman int
	lat                       []float64
}

// addTo counts a call's result in group k of m: onset and detected in
// seconds (-1: none), falseHuman its false detections.
func addTo(m map[string]*styleStats, k string, onset, detected float64, falseHuman int) {
	st := m[k]
	if st == nil {
		st = &styleStats{}
		m[k] = st
	}
	st.calls++
	st.falseHuman += falseHuman
	if onset >= 0 {
		st.humans++
		if detected >= 0 {
			st.lat = append(st.lat, detected-onset)
		}
	}
}

// answeredAfter names what played when the person answered: the pickup
// mark of the call's description (corpus-v16 on), or else the kind of the
// last hold segment before the agent (older corpora, where every
// announcement played to its end).
func answeredAfter(desc, lastKind string) string {
	if i := strings.Index(desc, ",pickup@"); i >= 0 {
		rest := desc[i+len(",pickup@"):]
		if j := strings.IndexAny(rest, ",)"); j >= 0 {
			rest = rest[:j]
		}
		if j := strings.Index(rest, ":"); j >= 0 {
			return strings.TrimPrefix(rest[j+1:], "announcement-")
		}
	}
	if strings.HasPrefix(lastKind, "announcement-") {
		return strings.TrimPrefix(lastKind, "announcement-") + "/finished"
	}
	if lastKind == "" {
		return "unknown"
	}
	return lastKind
}

// lastHeldBefore maps each call to the kind of its last segment before the
// first agent segment, from segments.tsv (empty when the corpus has none).
func lastHeldBefore(dir string) (map[string]string, error) {
	out := map[string]string{}
	rows, err := readTSV(filepath.Join(dir, "segments.tsv"))
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	agent := map[string]bool{}
	for _, r := range rows {
		if len(r) < 4 || agent[r[0]] {
			continue
		}
		if r[3] == "agent" {
			agent[r[0]] = true
			continue
		}
		out[r[0]] = r[3]
	}
	return out, nil
}

// announcementStyle reads the style from a timeline description
// ("...hold(music,ann=ducked*3,...)..."); "none" for calls without hold.
func announcementStyle(desc string) string {
	i := strings.Index(desc, "ann=")
	if i < 0 {
		return "none"
	}
	rest := desc[i+4:]
	if j := strings.IndexAny(rest, "*,)"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// quantile uses the nearest-rank method on sorted xs.
func quantile(xs []float64, q float64) float64 {
	i := int(q*float64(len(xs))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(xs) {
		i = len(xs) - 1
	}
	return xs[i]
}

// loseShare is the share of 20 ms frames -lose zeroes in every call, in
// bursts of loseBurst frames; with loseTold the pipeline is told which
// (ProcessLost), as the media layer tells it of the packets it never got.
var (
	loseShare   float64
	loseBurst   = 1
	loseTold    bool
	loseConceal bool
)

// feed runs the pipeline on the 20 ms frame of s at sample i: told lost
// (ProcessLost) when -told is set and loseFrames zeroed it.
func feed(p *classifier.Pipeline, s []int16, i int, lost []bool) classifier.Result {
	if loseTold && lost[i/160] {
		return p.ProcessLost()
	}
	return p.Process(s[i : i+160])
}

// loseFrames zeroes about share of the 20 ms frames of s, loseBurst
// consecutive frames at a time, as the media layer fills lost packets: the
// same frames of the same call on every run (the generator is seeded with
// the call's name). It returns which frames it zeroed. With loseConceal the
// frames are filled as a jitter buffer's concealment does instead: the last
// frame heard again, 3 dB quieter each time, and silence after 60 ms.
func loseFrames(s []int16, share float64, call string) []bool {
	lost := make([]bool, len(s)/160+1)
	if share <= 0 {
		return lost
	}
	burst := max(1, loseBurst)
	h := fnv.New64a()
	h.Write([]byte(call))
	r := rand.New(rand.NewPCG(h.Sum64(), 0x1057))
	for i := 0; i+160 <= len(s); i += 160 {
		if r.Float64() < share/float64(burst) {
			clear(s[i:min(len(s), i+burst*160)])
			if loseConceal && i >= 160 {
				conceal(s[i-160:i], s[i:min(len(s), i+burst*160)])
			}
			for k := i / 160; k < min(len(lost), i/160+burst); k++ {
				lost[k] = true
			}
			i += (burst - 1) * 160
		}
	}
	return lost
}

// conceal fills lost (zeroed) with repeats of the frame last heard, each
// 3 dB under the one before, for at most three frames.
func conceal(last, lost []int16) {
	g := 1.0
	for k := 0; k < 3 && k*160 < len(lost); k++ {
		g *= math.Sqrt(0.5)
		frame := lost[k*160 : min(len(lost), (k+1)*160)]
		for j := range frame {
			frame[j] = int16(g * float64(last[j]))
		}
	}
}

// lateLimit is how long after a person's onset the detection target (p90)
// allows; agents not detected by then are tallied by what held them back.
const lateLimit = 2.0

// holdupName is the tally's name for a late agent's Holdup; bad counts the
// call's detections before the onset.
func holdupName(h string, bad int) string {
	switch {
	case h != "":
		return h
	case bad > 0:
		return "fired before the onset"
	}
	return "no hold detected"
}

// printHoldups prints what held back the agents not detected lateLimit
// after their onset, commonest first.
func printHoldups(w io.Writer, holdups map[string]int) {
	n := 0
	var names []string
	for k, c := range holdups {
		names = append(names, k)
		n += c
	}
	if n == 0 {
		return
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := holdups[names[i]], holdups[names[j]]
		return a > b || a == b && names[i] < names[j]
	})
	fmt.Fprintf(w, "not detected %.0f s after the onset (%d): what held the detector back then:\n", lateLimit, n)
	for _, k := range names {
		fmt.Fprintf(w, "  %-30s %3d\n", k, holdups[k])
	}
}

// bootstrapRuns is how many resamplings printSpread draws: each end of a 95 %
// interval then rests on the 100 most extreme of them, and the whole takes a
// few milliseconds.
const bootstrapRuns = 4000

// printSpread says how far the latency figures could move on another draw
// of as many calls: 95 % intervals from resampling the calls with a person
// (agents holds their latencies, +Inf when missed), with a fixed seed so the
// output is the same on every run; and, when some were missed, p90 with them
// counted as never found.
func printSpread(w io.Writer, agents []float64) {
	med, p90, w2 := spread(agents, bootstrapRuns)
	fmt.Fprintf(w, "  95 %% intervals, resampling the %d calls with a person: median %.2f-%.2fs, p90 %.2f-%.2fs, within 2 s %.0f-%.0f\n",
		len(agents), med[0], med[1], p90[0], p90[1], w2[0], w2[1])
	all := slices.Clone(agents)
	sort.Float64s(all)
	missed := 0
	for _, a := range all {
		if math.IsInf(a, 1) {
			missed++
		}
	}
	if missed == 0 {
		return
	}
	q := "never"
	if v := quantile(all, 0.9); !math.IsInf(v, 1) {
		q = fmt.Sprintf("%.2fs", v)
	}
	fmt.Fprintf(w, "  with the %d missed counted as never found: p90 %s\n", missed, q)
}

// spread returns the 2.5 and 97.5 percentiles, over runs resamplings of
// agents, of the found agents' median and p90 latency and of how many were
// found within lateLimit.
func spread(agents []float64, runs int) (med, p90, w2 [2]float64) {
	r := rand.New(rand.NewPCG(0x5eed, 0xb007))
	var meds, p90s, w2s []float64
	lat := make([]float64, 0, len(agents))
	for range runs {
		lat = lat[:0]
		for range agents {
			if a := agents[r.IntN(len(agents))]; !math.IsInf(a, 1) {
				lat = append(lat, a)
			}
		}
		if len(lat) == 0 {
			continue
		}
		sort.Float64s(lat)
		meds = append(meds, quantile(lat, 0.5))
		p90s = append(p90s, quantile(lat, 0.9))
		w2s = append(w2s, float64(within(lat, lateLimit)))
	}
	ends := func(xs []float64) [2]float64 {
		if len(xs) == 0 {
			return [2]float64{}
		}
		sort.Float64s(xs)
		return [2]float64{quantile(xs, 0.025), quantile(xs, 0.975)}
	}
	return ends(meds), ends(p90s), ends(w2s)
}
