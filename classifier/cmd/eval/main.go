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
	"strings"

	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/classifier"
)

func main() {
	dir := flag.String("corpus", "testdata/corpus", "corpus directory")
	split := flag.String("split", "heldout", "split to score: heldout or train")
	train := flag.Bool("train", false, "retrain the context model on the train split first")
	weights := flag.String("weights", "classifier/model_weights.go", "where -train writes the weights")
	verbose := flag.Bool("v", false, "list misclassified clips")
	flag.Parse()
	if err := run(os.Stdout, *dir, *split, *train, *weights, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
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

func run(w io.Writer, dir, split string, train bool, weights string, verbose bool) error {
	rows, err := readTSV(filepath.Join(dir, "clips.tsv"))
	if err != nil {
		return err
	}
	var clips []clip
	for _, r := range rows {
		if len(r) < 6 {
			return fmt.Errorf("clips.tsv: short row %q", r)
		}
		clips = append(clips, clip{file: r[0], label: r[1], class: r[2], split: r[3], cond: r[4], source: r[5]})
	}
	if train {
		m, err := trainModel(dir, clips)
		if err != nil {
			return err
		}
		src := m.GoSource("Trained on the train split of " + dir + " (corpus generator scripts/corpus).")
		formatted, err := format.Source([]byte(src))
		if err != nil {
			return fmt.Errorf("format weights: %w", err)
		}
		if err := os.WriteFile(weights, formatted, 0o644); err != nil {
			return fmt.Errorf("write weights: %w", err)
		}
		fmt.Fprintf(w, "wrote %s\n", weights)
		classifier.SetDefaultModel(m)
	}
	if err := scoreClips(w, dir, clips, split, verbose); err != nil {
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

func trainModel(dir string, clips []clip) (*classifier.ModelParams, error) {
	var xs [][]float64
	var ys []int
	for _, c := range clips {
		if c.split != "train" || c.class == "-" {
			continue
		}
		y := -1
		for k, n := range classifier.ClassNames {
			if n == c.class {
				y = k
			}
		}
		if y < 0 {
			return nil, fmt.Errorf("unknown class %q", c.class)
		}
		s, err := load(dir, c.file)
		if err != nil {
			return nil, err
		}
		p, _ := classifier.NewPipeline(8000, classifier.Config{})
		for i, f := 0, 0; i+160 <= len(s); i, f = i+160, f+1 {
			p.Process(s[i : i+160])
			if f >= classifier.ContextFrames && f%3 == 0 {
				xs = append(xs, append([]float64(nil), p.ContextVector()...))
				ys = append(ys, y)
			}
		}
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("no training frames")
	}
	return classifier.TrainModel(xs, ys, classifier.TrainOptions{Epochs: 40, Seed: 1}), nil
}
