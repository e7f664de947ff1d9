// Command corpus generates Hold Slayer's labelled audio corpus from Debian
// packages (asterisk-moh-opsound-wav, asterisk-core-sounds-en-wav, espeak-ng,
// sox): short labelled clips under every telephone condition the classifier
// must survive, and full call timelines with the true human onset written
// down. Output is deterministic for a given generator version and is cached:
// if OUT/VERSION matches, nothing is done.
//
//	go run ./scripts/corpus -out testdata/corpus [-small]
//
// Split: music files, prompt files and espeak voices are assigned to "train"
// or "heldout" by source, so no held-out source influences tuning.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/holdslayer/holdslayer/internal/debsounds"
)

// version changes whenever the generated corpus would change.
const version = "corpus-v19"

func main() {
	out := flag.String("out", "testdata/corpus", "output directory")
	small := flag.Bool("small", false, "generate a small subset (for tests)")
	force := flag.Bool("force", false, "regenerate even if cached")
	moh := flag.String("moh", debsounds.MOHDir, "hold music directory")
	sounds := flag.String("sounds", debsounds.CoreDir, "recorded prompts directory")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	g := &generator{out: *out, small: *small, mohDir: *moh, soundsDir: *sounds, log: log}
	tag := version
	if *small {
		tag += "-small"
	}
	if !*force {
		if b, err := os.ReadFile(g.out + "/VERSION"); err == nil && string(b) == tag+"\n" {
			log.Info("corpus is cached", "dir", g.out, "version", tag)
			return
		}
	}
	if err := g.run(); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(g.out+"/VERSION", []byte(tag+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}
