// Command eval scores the classifier on the generated corpus (see
// scripts/corpus) and, with -train, refits the context model on the train
// split only and rewrites classifier/model_weights.go.
//
//	go run ./classifier/cmd/eval -corpus testdata/corpus            # score held-out split
//	go run ./classifier/cmd/eval -corpus testdata/corpus -train     # retrain, then score
//	go run ./classifier/cmd/eval -split train                       # score the train split
//
// It prints per-class precision/recall/F1, macro-F1 and the confusion matrix
// of the clips (one label per clip: the smoothed label covering most of it
// after a 1 s warm-up), accuracy per condition, and for the call timelines
// every detection, false transfers and latency from the true human onset.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/classifier"
)

func main() {
	dir := flag.String("corpus", "testdata/corpus", "corpus directory")
	split := flag.String("split", "heldout", "split to score: heldout or train")
	train := flag.Bool("train", false, "retrain the context model on the train split first")
	weights := flag.String("weights", shippedWeights, "where -train writes the weights")
	verbose := flag.Bool("v", false, "list misclassified clips")
	flag.IntVar(&members, "members", 3, "with -train: models in the ensemble (each from its own seed, -seed upwards)")
	flag.Uint64Var(&trainSeed, "seed", 1, "with -train: the training seed (initial weights and example order)")
	flag.BoolVar(&fold, "fold", false, "with -train -split train: learn from the train calls whose agent is one of foldLearnVoices (and odd-numbered calls without one) and score the others: agents the model never heard, as in heldout, without touching heldout")
	flag.StringVar(&foldMusic, "fold-music", "", "with -train -split train: keep this hold music (a train file such as macroform-cold_day) out of the clips learnt from, and score only the train calls held with it: music the model never heard, as in heldout (combines with -fold)")
	flag.Float64Var(&loseShare, "lose", 0, "lose this share of each call's 20 ms frames (zeroed, as a lost packet arrives), the same frames on every run")
	flag.IntVar(&loseBurst, "burst", 1, "with -lose: lose this many consecutive frames at a time")
	flag.BoolVar(&loseConceal, "conceal", false, "with -lose: fill lost frames as packet-loss concealment does (the last frame again, 3 dB quieter each time, silence after 60 ms) instead of zeros")
	flag.BoolVar(&loseTold, "told", false, "with -lose: tell the pipeline which frames were lost (ProcessLost), as the media layer does for its own packets")
	trace := flag.String("trace", "", "print every frame of this corpus file (relative to -corpus) and exit")
	from := flag.Float64("from", 0, "with -trace: first second to print")
	to := flag.Float64("to", 1e9, "with -trace: last second to print")
	flag.Parse()
	if *trace != "" {
		if err := traceFile(os.Stdout, *dir, *trace, *from, *to); err != nil {
			fmt.Fprintln(os.Stderr, "eval:", err)
			os.Exit(1)
		}
		return
	}
	if err := checkFold(*train, *split, *weights); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(2)
	}
	if err := run(os.Stdout, *dir, *split, *train, *weights, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
}

// shippedWeights is the model the classifier is built with.
const shippedWeights = "classifier/model_weights.go"

// checkFold refuses fold runs that would mislead or do harm: a fold model
// scored on anything but the train calls it kept out, or written over the
// shipped weights.
func checkFold(train bool, split, weights string) error {
	if !fold && foldMusic == "" {
		return nil
	}
	if !train || split != "train" {
		return fmt.Errorf("-fold and -fold-music need -train -split train: they score the train calls the model did not learn from")
	}
	if filepath.Clean(weights) == shippedWeights {
		return fmt.Errorf("-fold and -fold-music need -weights elsewhere than %s: a fold model must not replace the shipped one", shippedWeights)
	}
	return nil
}

type clip struct {
	file, label, class, split, cond, source string
}

func readTSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s (run `make corpus` first): %w", path, err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		rows = append(rows, strings.Split(sc.Text(), "\t"))
	}
	return rows, sc.Err()
}

// readClips reads the corpus's clips.tsv.
func readClips(dir string) ([]clip, error) {
	rows, err := readTSV(filepath.Join(dir, "clips.tsv"))
	if err != nil {
		return nil, err
	}
	var clips []clip
	for _, r := range rows {
		if len(r) < 6 {
			return nil, fmt.Errorf("clips.tsv: short row %q", r)
		}
		clips = append(clips, clip{file: r[0], label: r[1], class: r[2], split: r[3], cond: r[4], source: r[5]})
	}
	return clips, nil
}

func run(w io.Writer, dir, split string, train bool, weights string, verbose bool) error {
	clips, err := readClips(dir)
	if err != nil {
		return err
	}
	if fold {
		if err := splitFold(dir); err != nil {
			return err
		}
	}
	if train {
		ms, err := trainModels(dir, clips)
		if err != nil {
			return err
		}
		src := classifier.ModelsGoSource(ms, fmt.Sprintf("Trained on the train split of %s (corpus generator scripts/corpus),\n%d members from seeds %d..%d.",
			dir, len(ms), trainSeed, trainSeed+uint64(len(ms))-1))
		formatted, err := format.Source([]byte(src))
		if err != nil {
			return fmt.Errorf("format weights: %w", err)
		}
		if err := os.WriteFile(weights, formatted, 0o644); err != nil {
			return fmt.Errorf("write weights: %w", err)
		}
		fmt.Fprintf(w, "wrote %s\n", weights)
		classifier.SetDefaultModels(ms)
	}
	if _, err := scoreClips(w, dir, clips, split, verbose); err != nil {
		return err
	}
	return scoreTimelines(w, dir, split, verbose)
}

func load(dir, file string) ([]int16, error) {
	p, err := audio.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	if p.Rate != 8000 {
		return audio.Resample(p.Samples, p.Rate, 8000), nil
	}
	return p.Samples, nil
}

const warmupFrames = 50 // 1 s: the context window is filling

// Onset examples: each training clip is also played after onsetLead of
// silence of the same condition, and the frames while the context window
// fills with the new sound are kept with the clip's class. Without them the
// model has only seen steady context, and it reads the first second of music
// resuming after a pause as speech, or a voice after silence as music: the
// moments the human detector must judge quickly.
const (
	onsetLead  = 50 // frames of silence before the clip (1 s)
	onsetSkip  = 2  // frames after the onset before examples are taken
	onsetStep  = 2  // keep every onsetStep-th frame while the window fills
	sampleStep = 3  // keep every sampleStep-th frame of steady context
)

// trainModels trains -members models from consecutive seeds on the same
// examples (gathered once).
func trainModels(dir string, clips []clip) ([]classifier.ModelParams, error) {
	xs, ys, err := trainingExamples(dir, clips)
	if err != nil {
		return nil, err
	}
	ms := make([]classifier.ModelParams, members)
	for i := range ms {
		ms[i] = *classifier.TrainModel(xs, ys, classifier.TrainOptions{Epochs: 40, Seed: trainSeed + uint64(i)})
	}
	return ms, nil
}

func trainingExamples(dir string, clips []clip) ([][]float64, []int, error) {
	var xs [][]float64
	var ys []int
	silence := map[string][]int16{} // first train silence clip per condition
	for _, c := range clips {
		if c.split == "train" && c.class == "silence" && silence[c.cond] == nil {
			s, err := load(dir, c.file)
			if err != nil {
				return nil, nil, err
			}
			silence[c.cond] = s
		}
	}
	for _, c := range clips {
		if c.split != "train" || c.class == "-" || fold && foldHeldVoice(c.source) || foldMusic != "" && strings.Contains(c.source, foldMusic) {
			continue
		}
		y := -1
		for k, n := range classifier.ClassNames {
			if n == c.class {
				y = k
			}
		}
		if y < 0 {
			return nil, nil, fmt.Errorf("unknown class %q", c.class)
		}
		s, err := load(dir, c.file)
		if err != nil {
			return nil, nil, err
		}
		p, _ := classifier.NewPipeline(8000, classifier.Config{})
		for i, f := 0, 0; i+160 <= len(s); i, f = i+160, f+1 {
			p.Process(s[i : i+160])
			if f >= classifier.ContextFrames && f%sampleStep == 0 {
				xs = append(xs, append([]float64(nil), p.ContextVector()...))
				ys = append(ys, y)
			}
		}
		lead := silence[c.cond]
		if c.class == "silence" || len(lead) < onsetLead*160 {
			continue
		}
		p.Reset()
		seq := append(append([]int16(nil), lead[:onsetLead*160]...), s...)
		for i, f := 0, 0; i+160 <= len(seq); i, f = i+160, f+1 {
			p.Process(seq[i : i+160])
			k := f - onsetLead
			if k >= onsetSkip && k < classifier.ContextFrames && k%onsetStep == 0 {
				xs = append(xs, append([]float64(nil), p.ContextVector()...))
				ys = append(ys, y)
			}
		}
	}
	if len(xs) == 0 {
		return nil, nil, fmt.Errorf("no training frames")
	}
	return xs, ys, nil
}

// traceFile prints the per-frame view of the pipeline between from and to
// seconds: level, frame label, model probabilities, smoothed label, what the
// human detector is doing and any detection. For tuning on the train split.
func traceFile(w io.Writer, dir, file string, from, to float64) error {
	s, err := load(dir, file)
	if err != nil {
		return err
	}
	lost := loseFrames(s, loseShare, file)
	p, _ := classifier.NewPipeline(8000, classifier.Config{})
	fmt.Fprintf(w, "%7s %6s %-8s %2s %-8s %5s %5s %5s %5s %5s %5s %5s\n", "t", "dB", "frame", "mu", "smooth", "sil", "mus", "sp", "noise", "som", "harm", "mod")
	for i := 0; i+160 <= len(s); i += 160 {
		r := feed(p, s, i, lost)
		t := float64(i) / 8000
		if t < from || t > to {
			continue
		}
		f := r.Frame.Features
		mu := ""
		if r.Frame.MusicUnder {
			mu = "M"
		}
		fmt.Fprintf(w, "%7.2f %6.1f %-8s %2s %-8s %5.2f %5.2f %5.2f %5.2f %5.2f %5.2f %5.2f", t, f.EnergyDB, r.Frame.Label, mu, r.Current,
			f.PSilence, f.PMusic, f.PSpeech, f.PNoise, f.PSpeechOverMusic, f.Harmonicity, f.Mod4Hz)
		if st := p.HumanState(); st != "" {
			fmt.Fprintf(w, "  [%s]", st)
		}
		for _, d := range r.Detections {
			fmt.Fprintf(w, "  <%s onset %.2f conf %.2f>", d.Kind, d.Onset.Seconds(), d.Confidence)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// fold splits the train calls in two: see the -fold flag. foldLearn holds
// the calls learnt from (filled by run from timelines.tsv).
var (
	fold      bool
	foldLearn map[string]bool
	// foldMusic: see the -fold-music flag. The voice fold alone scores calls
	// held with music the model learnt from, so it cannot show what a music
	// bed the model never heard does to the rules: held-out calls can.
	foldMusic string
)

// foldLearnVoices are the espeak base voices of the agents -fold learns from;
// agents of the other bases, and those built from recorded prompts, are
// scored.
var foldLearnVoices = map[string]bool{"en-us": true, "en-gb": true, "en-gb-x-gbclan": true}

// foldScoredVoices are the agents' base voices in the scored train calls
// (filled by splitFold): -fold keeps speech rendered in them out of the clips
// it learns from too.
var foldScoredVoices []string

// foldHeldVoice reports whether a clip's sources include speech in a voice
// -fold keeps out of training.
func foldHeldVoice(source string) bool {
	for _, v := range foldScoredVoices {
		if strings.Contains(source, "espeak-"+v) {
			return true
		}
	}
	return false
}

// splitFold fills foldLearn from the train rows of timelines.tsv.
func splitFold(dir string) error {
	rows, err := readTSV(filepath.Join(dir, "timelines.tsv"))
	if err != nil {
		return err
	}
	foldLearn, foldScoredVoices = map[string]bool{}, nil
	for _, r := range rows {
		if len(r) < 5 || r[1] != "train" {
			continue
		}
		desc := r[4]
		i := strings.Index(desc, "+human(espeak(")
		switch {
		case i >= 0:
			base := desc[i+len("+human(espeak("):]
			base = base[:strings.IndexAny(base, "+,")]
			foldLearn[r[0]] = foldLearnVoices[base]
			if !foldLearnVoices[base] && !slices.Contains(foldScoredVoices, base) {
				foldScoredVoices = append(foldScoredVoices, base)
			}
		case strings.Contains(desc, "+human("):
			foldLearn[r[0]] = false
		default:
			foldLearn[r[0]] = callNumber(r[0])%2 == 1
		}
	}
	return nil
}

// trainSeed seeds -train and members sizes the ensemble: see the -seed
// and -members flags.
var (
	trainSeed uint64 = 1
	members          = 3
)

// callNumber is the NNN of timelines/split-NNN-condition.wav (-1 if none).
func callNumber(file string) int {
	parts := strings.Split(filepath.Base(file), "-")
	if len(parts) < 2 {
		return -1
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return -1
	}
	return n
}
